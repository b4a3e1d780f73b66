import { href } from '../../router.js';

/** A model's pages. Rollouts and events (the release work) become tabs here once their API exists. */
const TABS = [
  { id: 'overview', label: 'Overview', to: href.model },
  { id: 'monitoring', label: 'Monitoring', to: href.monitoring },
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
