import { useLab } from './useLab';

/**
 * Which TF.js backend computes and where SVDs run, and why each was chosen;
 * below it, what happened to the backend when something did (the GPU was
 * lost and the lab restarted it), as a live status message.
 */
export function BackendBadge() {
  const backend = useLab((s) => s.backend);
  const notice = useLab((s) => s.backendNotice);
  if (!backend) return null;
  const title = `${backend.reason}${backend.adapter ? `; WebGPU adapter: ${backend.adapter}` : ''}`;
  return (
    <>
      <span className="backend-badge" title={title} data-testid="backend">
        backend: <strong>{backend.name}</strong> <small>({backend.reason})</small>
        {' · '}SVD: <strong data-testid="svd-engine">{backend.svd}</strong> <small>({backend.svdReason})</small>
      </span>
      {notice && <p className="note backend-notice" role="status" data-testid="backend-notice">{notice}</p>}
    </>
  );
}
