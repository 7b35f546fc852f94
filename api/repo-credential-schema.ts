// The body of PUT /v1/projects/:projectId/repo-credential. The token becomes an HTTP header
// (Authorization: Basic) for git and a Jenkins parameter: control characters, spaces and the
// user-name separator are refused, so it can never inject another header or split wrongly.
import { z } from 'zod';

export const repoCredentialSchema = z
  .object({
    /** HTTP Basic user name; GitHub ignores it for tokens (`x-access-token` by convention). */
    username: z
      .string()
      .regex(/^[A-Za-z0-9._@+-]{1,100}$/, 'letters, digits and . _ @ + - (1 to 100 characters)')
      .default('x-access-token'),
    token: z
      .string()
      .min(8, 'at least 8 characters')
      .max(4096, 'at most 4096 characters')
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  })
  .strict();

export type RepoCredentialInput = z.output<typeof repoCredentialSchema>;
