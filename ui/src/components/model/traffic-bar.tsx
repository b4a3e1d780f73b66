import type { Slice } from '../../serving.js';

const COLOURS = ['#1f5fa8', '#b34700', '#2e7d32', '#6a3d9a', '#8c564b', '#00707a'];

/** The traffic split as one bar; each part is labelled in words, and a list says the same for screen readers. */
export function TrafficBar({ slices }: { slices: Slice[] }) {
  if (!slices.length) return <p>Nothing serves this model: it has no production alias and no traffic policy.</p>;
  const text = slices.map((s) => `${s.label}${s.version !== null ? ` (version ${s.version})` : ''}: ${s.weight}%`).join(', ');
  return (
    <div class="traffic">
      <div class="bar" role="img" aria-label={`Traffic split: ${text}`} data-testid="traffic-bar">
        {slices
          .filter((s) => s.weight > 0)
          .map((s, i) => (
            <div key={s.label} class="part" style={{ width: `${s.weight}%`, background: COLOURS[i % COLOURS.length] }}>
              <span>
                {s.label} {s.weight}%
              </span>
            </div>
          ))}
      </div>
      <ul class="legend">
        {slices.map((s, i) => (
          <li key={s.label}>
            <span class="swatch" style={{ background: COLOURS[i % COLOURS.length] }} aria-hidden="true" />
            {s.label}
            {s.version !== null ? ` → version ${s.version}` : ' → (alias not set)'}: {s.weight}%
          </li>
        ))}
      </ul>
    </div>
  );
}
