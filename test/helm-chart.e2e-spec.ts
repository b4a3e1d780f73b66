import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type ChartContext, HelmTemplate } from './support/helm-template.js';

/**
 * `helm` is not packaged for this machine: the chart is rendered by a
 * renderer for the template subset it uses (test/support/helm-template.ts),
 * and every document must parse as YAML and say what the deployment needs.
 */
const CHART = path.join(import.meta.dirname, '..', 'helm', 'modelgate');
const TEMPLATES = path.join(CHART, 'templates');
const VALUES = YAML.parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
const CHART_META = YAML.parse(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'));
const templateFiles = fs.readdirSync(TEMPLATES).sort();

function merge(base: any, over: any): any {
  if (!over || typeof over !== 'object' || Array.isArray(over)) return over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base?.[k], v);
  return out;
}

interface Rendered {
  docs: any[];
  byKind(kind: string): any[];
  one(kind: string): any;
  missing: Set<string>;
}

function render(overrides: Record<string, unknown> = {}): Rendered {
  const engine = new HelmTemplate(CHART);
  const files = templateFiles.map((f) => path.join(TEMPLATES, f));
  engine.load(files.filter((f) => f.endsWith('.tpl')));
  const ctx: ChartContext = {
    Values: merge(VALUES, overrides),
    Release: { Name: 'prod', Namespace: 'ml', Service: 'Helm' },
    Chart: { Name: CHART_META.name, Version: CHART_META.version, AppVersion: CHART_META.appVersion },
  };
  const docs: any[] = [];
  for (const f of files.filter((x) => x.endsWith('.yaml'))) {
    const text = engine.render(f, ctx);
    for (const doc of YAML.parseAllDocuments(text)) {
      expect(doc.errors, `${path.basename(f)}:\n${text}`).toEqual([]);
      const v = doc.toJS();
      if (v !== null) docs.push(v);
    }
  }
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  return {
    docs,
    byKind,
    one(kind) {
      const all = byKind(kind);
      expect(all, kind).toHaveLength(1);
      return all[0];
    },
    missing: engine.missing,
  };
}

const envOf = (r: Rendered) => r.one('ConfigMap').data as Record<string, string>;

describe('helm chart', () => {
  it('reads only values that values.yaml defines', () => {
    const used = new Set<string>();
    for (const f of templateFiles) {
      for (const m of fs.readFileSync(path.join(TEMPLATES, f), 'utf8').matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) used.add(m[1].slice(1));
    }
    expect(used.size).toBeGreaterThan(30);
    const defined = (p: string) => p.split('.').reduce<any>((o, k) => (o && typeof o === 'object' && k in o ? o[k] : undefined), VALUES) !== undefined;
    expect([...used].filter((p) => !defined(p))).toEqual([]);
    expect([...render().missing]).toEqual([]);
  });

  it('renders every default document as YAML with a kind, an API version and a name', () => {
    const r = render();
    expect(r.docs.map((d) => d.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor'].sort(),
    );
    for (const d of r.docs) {
      expect(d.apiVersion, d.kind).toBeTruthy();
      expect(d.metadata.name, d.kind).toMatch(/^prod-modelgate/);
    }
  });

  it('probes the health routes and gives pods longer to stop than the service takes to drain', () => {
    const r = render({ shutdown: { timeoutMs: 20_000, preStopSeconds: 7, marginSeconds: 3 } });
    const pod = r.one('Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(c.startupProbe.httpGet.path).toBe('/health/ready');
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '7']);
    expect(envOf(r).MODELGATE_SHUTDOWN_TIMEOUT_MS).toBe('20000');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(20 + 7);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(c.ports.map((p: any) => [p.name, p.containerPort])).toEqual([
      ['http', 8080],
      ['grpc', 8081],
    ]);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.envFrom[0].configMapRef.name).toBe(r.one('ConfigMap').metadata.name);
    const secretEnv = Object.fromEntries(c.env.map((e: any) => [e.name, e.valueFrom.secretKeyRef]));
    expect(secretEnv.DATABASE_URL).toEqual({ name: 'modelgate', key: 'database-url' });
    expect(secretEnv.MODELGATE_ADMIN_TOKEN).toEqual({ name: 'modelgate', key: 'admin-token' });
    expect(secretEnv.MODELGATE_RECEIVERS.optional).toBe(true);
    // The HPA owns the replica count.
    expect(r.one('Deployment').spec.replicas).toBeUndefined();
    expect(render({ autoscaling: { enabled: false } }).one('Deployment').spec.replicas).toBe(2);
  });

  it('migrates in a pre-install and pre-upgrade Job and never in the pods', () => {
    const r = render();
    expect(envOf(r).MODELGATE_MIGRATE_ON_START).toBe('false');
    const job = r.one('Job');
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['node', 'dist/database/migrate-cli.js']);
    expect(c.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(['DATABASE_URL', 'MODELGATE_ADMIN_TOKEN']));
    // No envFrom: the ConfigMap does not exist yet at pre-install.
    expect(c.envFrom).toBeUndefined();
    expect(fs.existsSync(path.join(import.meta.dirname, '..', 'src', 'database', 'migrate-cli.ts'))).toBe(true);
  });

  it('carries only the service rules by default, and the model rules too with alerts.source prometheus', () => {
    const alertsOf = (r: Rendered) => r.one('PrometheusRule').spec.groups.flatMap((g: any) => g.rules.map((x: any) => x.alert));
    const byDefault = render();
    expect(envOf(byDefault).MODELGATE_ALERTS_SOURCE).toBe('modelgate');
    expect(alertsOf(byDefault)).toEqual(['ModelgateDown', 'ModelgateHttp5xxBurst', 'ModelgateAlertDeliveryFailing', 'ModelgateTelemetryDropped']);

    const prom = render({ alerts: { source: 'prometheus' } });
    expect(envOf(prom).MODELGATE_ALERTS_SOURCE).toBe('prometheus');
    expect(alertsOf(prom)).toEqual(expect.arrayContaining(['ModelgateDown', 'ModelgateFeatureDrift', 'ModelgateAucBelowBar', 'ModelgateModelErrorRate']));
    // Annotation templates reach Prometheus untouched.
    const drift = prom.one('PrometheusRule').spec.groups[1].rules[0];
    expect(drift.annotations.summary).toContain('{{ $labels.feature }}');
  });

  it('scrapes /metrics as job modelgate, which the rules select on', () => {
    const r = render();
    const sm = r.one('ServiceMonitor');
    expect(sm.spec.jobLabel).toBe('app.kubernetes.io/name');
    expect(r.one('Service').metadata.labels['app.kubernetes.io/name']).toBe('modelgate');
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    expect(r.one('Service').spec.ports.map((p: any) => p.port)).toEqual([8080, 8081]);
  });

  it('adds an Ingress, a NetworkPolicy and S3 settings only when asked', () => {
    const r = render({
      ingress: { enabled: true, className: 'nginx', tls: [{ secretName: 'tls', hosts: ['mg.example.com'] }], host: 'mg.example.com', trustedProxies: ['10.42.0.0/16'] },
      networkPolicy: { enabled: true, from: [{ namespaceSelector: { matchLabels: { team: 'ml' } } }] },
      config: { s3: { bucket: 'models', endpoint: 'http://minio:9000', forcePathStyle: true }, extraEnv: { MODELGATE_BATCH_MAX_SIZE: 32 } },
      serviceMonitor: { enabled: false },
    });
    expect(r.one('Ingress').spec.rules[0].host).toBe('mg.example.com');
    expect(r.one('Ingress').spec.ingressClassName).toBe('nginx');
    expect(r.one('NetworkPolicy').spec.ingress[0].from[0].namespaceSelector.matchLabels.team).toBe('ml');
    expect(envOf(r)).toMatchObject({ S3_BUCKET: 'models', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true', MODELGATE_BATCH_MAX_SIZE: '32' });
    expect(r.byKind('ServiceMonitor')).toEqual([]);
    const plain = render();
    expect(plain.byKind('Ingress')).toEqual([]);
    expect(plain.byKind('NetworkPolicy')).toEqual([]);
    expect(envOf(plain).S3_BUCKET).toBeUndefined();
  });

  it('trusts X-Forwarded-For from its ingress only: MODELGATE_TRUSTED_PROXIES from ingress.trustedProxies, required with the Ingress', () => {
    const r = render({ ingress: { enabled: true, trustedProxies: ['10.42.0.0/16', 'fd00:42::/64'] } });
    expect(envOf(r).MODELGATE_TRUSTED_PROXIES).toBe('10.42.0.0/16,fd00:42::/64');
    expect(envOf(render()).MODELGATE_TRUSTED_PROXIES).toBeUndefined();
    expect(() => render({ ingress: { enabled: true } })).toThrow(/ingress.trustedProxies/);
  });
});
