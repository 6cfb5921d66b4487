/**
 * What ends a CLI run other than success; each class is one exit code, so that scripts can tell a
 * refusal from a typo from a worker that is down.
 */
export const ExitCode = {
  OK: 0,
  /** The worker answered with an error; its message is printed. */
  REFUSED: 1,
  /** The command line (or a file it names) is wrong. */
  USAGE: 2,
  /** The worker did not answer. */
  UNREACHABLE: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(ExitCode.USAGE, message);
    this.name = "UsageError";
  }
}

/** The worker answered with an HTTP error; `message` is the worker's. */
export class RefusedError extends CliError {
  readonly status: number;

  constructor(status: number, message: string) {
    super(ExitCode.REFUSED, message);
    this.name = "RefusedError";
    this.status = status;
  }
}

export class UnreachableError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ExitCode.UNREACHABLE, message, options);
    this.name = "UnreachableError";
  }
}
