import type { Version } from '../../api/types.js';
import { href } from '../../router.js';
import { fmt } from '../status.js';

function lineage(l: Record<string, unknown>): string {
  const parts = Object.entries(l ?? {})
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`);
  return parts.length ? parts.join(', ') : '—';
}

export function VersionsTable({ name, versions }: { name: string; versions: Version[] }) {
  const metricNames = [...new Set(versions.flatMap((v) => Object.keys(v.metrics ?? {})))].sort().slice(0, 4);
  return (
    <table class="list">
      <caption>Versions, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Status</th>
          <th scope="col">Aliases</th>
          {metricNames.map((m) => (
            <th scope="col" key={m}>
              {m}
            </th>
          ))}
          <th scope="col">Lineage</th>
          <th scope="col">Signature (baseline on the version page)</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {versions.map((v) => (
          <tr key={v.version}>
            <th scope="row">
              <a href={href.version(name, v.version)}>v{v.version}</a>
            </th>
            <td>{v.status}</td>
            <td>{v.aliases.length ? v.aliases.join(', ') : <span class="muted">none</span>}</td>
            {metricNames.map((m) => (
              <td key={m}>{fmt.num(v.metrics?.[m])}</td>
            ))}
            <td>{lineage(v.lineage)}</td>
            <td>
              {v.feature_names?.length ?? v.signature.inputs?.length ?? 0} features
              {v.score_output ? `, score ${v.score_output}` : ''}
            </td>
            <td>{fmt.time(v.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
