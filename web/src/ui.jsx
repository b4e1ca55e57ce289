// Small building blocks. Every user-supplied string goes through JSX text
// children or attributes, which Preact sets as text (never innerHTML).
import { cloneElement } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { fieldLabel } from './api.js';
import { TRANSITIONS, STATUS_LABEL, actionLabel } from './util.js';

let seq = 0;
export const useId = (p) => { const r = useRef(null); if (!r.current) r.current = `${p}-${++seq}`; return r.current; };

// A labelled control. `error` (from ApiError.fields) marks it invalid and is
// read out with it.
export function Field({ label, error, children, hint }) {
  const id = useId('f');
  const child = Array.isArray(children) ? children[0] : children;
  const described = [error ? `${id}-err` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
  const ctrl = cloneElement(child, { id, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': described });
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {ctrl}
      {hint && <small id={`${id}-hint`} class="hint">{hint}</small>}
      {error && <small id={`${id}-err`} class="field-error">{error}</small>}
    </div>
  );
}

// A problem shown where it happened; role=alert reads it out at once.
export function ErrorBox({ error }) {
  if (!error) return null;
  const fields = error.problem && error.problem.errors ? error.problem.errors : [];
  return (
    <div class="error" role="alert">
      <p>{error.message}</p>
      {fields.length > 1 && (
        <ul>{fields.map((e) => <li key={e.field}><strong>{fieldLabel(e.field)}</strong>: {e.message}</li>)}</ul>
      )}
    </div>
  );
}

export function Loading({ what }) { return <p class="muted" role="status">Loading {what}…</p>; }

export function StatusBadge({ status }) {
  return <span class={`badge st-${status}`}>{STATUS_LABEL[status] || status}</span>;
}

// Only the moves the transition table allows.
export function StatusButtons({ task, onMove, busy }) {
  return (
    <span class="status-buttons" role="group" aria-label={`Change status of ${task.title}`}>
      {(TRANSITIONS[task.status] || []).map((to) => (
        <button type="button" class="small" key={to} disabled={busy} data-to={to}
          onClick={() => onMove(task, to)}>{actionLabel(task.status, to)}</button>
      ))}
    </span>
  );
}

export function Select({ value, onChange, options, ...rest }) {
  return (
    <select value={value} onChange={(e) => onChange(e.currentTarget.value)} {...rest}>
      {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
    </select>
  );
}

// Focus a page's heading when the route changes, so screen readers hear
// where they are.
export function PageTitle({ children }) {
  const r = useRef(null);
  useEffect(() => {
    document.title = `${typeof children === 'string' ? children : 'taskman'} · taskman`;
    if (r.current && !document.activeElement?.closest?.('main')) r.current.focus({ preventScroll: true });
  }, [children]);
  return <h1 tabIndex={-1} ref={r}>{children}</h1>;
}
