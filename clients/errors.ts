// The one failure of every outside-system client: which system failed, what kind of failure it
// was, and whether retrying later may help. Clients know HTTP and git, nothing of Temporal;
// activities/errors.ts turns these into the deploy chain's failure types, by step and kind.
// Callers branch on `kind`, not on classes: a subclass exists only where a caller needs data
// that `kind` cannot carry (GitHubValidationError's field errors).

/** The outside system a client speaks to. */
export type ClientSystem = 'argocd' | 'github' | 'gitops' | 'harbor' | 'jenkins' | 'oci' | 'source';

/**
 * What went wrong, in the few kinds the callers tell apart:
 * - `unavailable`: 5xx, 429, connection refused/reset/dropped, an answer cut short or unreadable;
 * - `timeout`: no answer within the client's bound;
 * - `rate_limited`: the system asks us to slow down (`retryAfterMs` says how long);
 * - `auth`: credentials missing, wrong, expired or refused;
 * - `forbidden`: credentials accepted, but this account may not do this;
 * - `not_found`: no such thing, or one this account may not see;
 * - `conflict`: the state on the other side is in the way (exists already, another operation
 *   runs, a lost push race, a disabled job);
 * - `invalid`: a request that cannot succeed as made (bad name, reference, parameters, options);
 * - `unsupported`: the system cannot do this for this object (Harbor cannot scan a non-image);
 * - `local`: the engine's own working copy failed (the GitOps clone); the next attempt starts fresh;
 * - `protocol`: an answer the client cannot use (unexpected status or shape).
 */
export type ClientErrorKind =
  'unavailable' | 'timeout' | 'rate_limited' | 'auth' | 'forbidden' | 'not_found' | 'conflict' | 'invalid' | 'unsupported' | 'local' | 'protocol';

/** Kinds that retrying later can fix, unless a client says otherwise for one error. */
const TRANSIENT_KINDS: ReadonlySet<ClientErrorKind> = new Set<ClientErrorKind>(['unavailable', 'timeout', 'rate_limited', 'local']);

export interface ClientErrorOptions {
  /** Overrides the kind's default (e.g. a `conflict` that clears by itself: another operation in progress). */
  transient?: boolean;
  /** The HTTP status of the answer, when there was one. */
  status?: number;
  /** The system's own error code: Harbor's `NOT_FOUND`, Argo CD's gRPC code. */
  code?: string | number;
  /** The request id of the answer (Harbor's X-Request-Id), to find it in the system's logs. */
  requestId?: string;
  /** How long the system asked us to wait (a rate limit's Retry-After or reset). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class ClientError extends Error {
  override readonly name: string = 'ClientError';
  /** Retrying later may succeed. */
  readonly transient: boolean;
  readonly status?: number;
  readonly code?: string | number;
  readonly requestId?: string;
  readonly retryAfterMs?: number;

  constructor(
    readonly system: ClientSystem,
    readonly kind: ClientErrorKind,
    message: string,
    options: ClientErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.transient = options.transient ?? TRANSIENT_KINDS.has(kind);
    this.status = options.status;
    this.code = options.code;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
  }
}
