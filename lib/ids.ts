// The three ids every name of a project is made from (docs/identity.md): workspace id, user id
// and project name, each a DNS-1123 label within its length limit. gitops/naming.ts builds the
// names from them (and re-exports these); they live here, below it, because the bookkeeping in
// lib/ (workspace users) validates the same ids.
import { z } from 'zod';

export const NAME_LIMITS = {
  workspaceId: 20,
  userId: 20,
  projectName: 21,
  /** Kubernetes label values and DNS labels. */
  label: 63,
  /** Helm release names (Helm stores releases in Secrets whose names add a suffix). */
  helmRelease: 53,
} as const;

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const labelMessage = 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';

/** A DNS-1123 label (RFC 1123): what Kubernetes accepts for most names. */
export const dnsLabel = z
  .string()
  .min(1, 'must not be empty')
  .max(NAME_LIMITS.label, `must be at most ${NAME_LIMITS.label} characters`)
  .regex(DNS_LABEL, labelMessage);

function boundedLabel(what: string, max: number) {
  return z
    .string({ message: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .regex(DNS_LABEL, `${what} ${labelMessage}`);
}

export const workspaceIdSchema = boundedLabel('workspace id', NAME_LIMITS.workspaceId);
export const userIdSchema = boundedLabel('user id', NAME_LIMITS.userId);
export const projectNameSchema = boundedLabel('project name', NAME_LIMITS.projectName);
