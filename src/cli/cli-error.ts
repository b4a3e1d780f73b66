/** An error the CLI prints as one `CODE: message` line and exits non-zero on. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
