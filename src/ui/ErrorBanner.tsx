import { useLab } from './useLab';

/** The last error a user caused or hit, with a dismiss button; the lab below stays usable. */
export function ErrorBanner() {
  const error = useLab((s) => s.error);
  const dismiss = useLab((s) => s.dismissError);
  if (!error) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error">
      <span>{error}</span>
      <button type="button" onClick={dismiss} aria-label="Dismiss error">×</button>
    </div>
  );
}
