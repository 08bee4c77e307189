import { useLab } from './useLab';

/** Which TF.js backend computes and where SVDs run, and why each was chosen. */
export function BackendBadge() {
  const backend = useLab((s) => s.backend);
  if (!backend) return null;
  const title = `${backend.reason}${backend.adapter ? `; WebGPU adapter: ${backend.adapter}` : ''}`;
  return (
    <span className="backend-badge" title={title} data-testid="backend">
      backend: <strong>{backend.name}</strong> <small>({backend.reason})</small>
      {' · '}SVD: <strong data-testid="svd-engine">{backend.svd}</strong> <small>({backend.svdReason})</small>
    </span>
  );
}
