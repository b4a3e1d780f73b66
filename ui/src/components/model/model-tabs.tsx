import { href } from '../../router.js';

/** A model's pages. */
const TABS = [
  { id: 'overview', label: 'Overview', to: href.model },
  { id: 'monitoring', label: 'Monitoring', to: href.monitoring },
  { id: 'rollouts', label: 'Rollouts', to: href.rollouts },
  { id: 'approvals', label: 'Approvals', to: href.approvals },
  { id: 'events', label: 'Events', to: href.events },
] as const;

export function ModelTabs({ name, current }: { name: string; current: (typeof TABS)[number]['id'] }) {
  return (
    <nav aria-label={`${name} pages`} class="tabs">
      <ul>
        {TABS.map((t) => (
          <li key={t.id}>
            <a href={t.to(name)} aria-current={t.id === current ? 'page' : undefined}>
              {t.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
