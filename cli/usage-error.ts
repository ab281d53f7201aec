// A mistake on the command line (unknown command or flag, a value that is not what
// the flag takes): reported before any call is made, with exit code 2.
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
/** The call failed: the server answered with a gRPC status other than OK, or could not be reached. */
export const EXIT_CALL_FAILED = 1;
export const EXIT_USAGE = 2;
