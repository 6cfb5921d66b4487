import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SluiceError } from "../../runtime/api/index.ts";

/** One entry of LISTSTATUS or the answer of GETFILESTATUS, as WebHDFS spells it. */
export interface HdfsFileStatus {
  /** The entry's name in its directory (empty for GETFILESTATUS). */
  pathSuffix: string;
  type: "FILE" | "DIRECTORY" | "SYMLINK";
  length: number;
  modificationTime: number;
  owner: string;
}

/**
 * A failure that WebHDFS reported or that happened on the way to it. `exception` is the Java simple
 * class name from a RemoteException body (e.g. `FileNotFoundException`), or `IOException` for network
 * failures and answers without such a body; `status` is the HTTP status (0 when none arrived).
 */
export class WebHdfsError extends SluiceError {
  readonly exception: string;
  readonly status: number;

  constructor(
    code: ErrorCode,
    exception: string,
    status: number,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(code, message, options);
    this.name = "WebHdfsError";
    this.exception = exception;
    this.status = status;
  }
}

/** The path (or a parent the operation needs) does not exist. */
export class HdfsNotFoundError extends WebHdfsError {
  constructor(message: string, status: number, cause?: unknown) {
    super(ErrorCode.EXTERNAL_FATAL, "FileNotFoundException", status, message, { cause });
    this.name = "HdfsNotFoundError";
  }
}

/** The path exists and the operation refuses to overwrite it. */
export class HdfsExistsError extends WebHdfsError {
  constructor(message: string, status: number, cause?: unknown) {
    super(ErrorCode.EXTERNAL_FATAL, "FileAlreadyExistsException", status, message, { cause });
    this.name = "HdfsExistsError";
  }
}

/** The HDFS user may not do this (AccessControlException, SecurityException). */
export class HdfsAccessError extends WebHdfsError {
  constructor(exception: string, status: number, message: string, cause?: unknown) {
    super(ErrorCode.UNAUTHORIZED, exception, status, message, { cause });
    this.name = "HdfsAccessError";
  }
}

/** RemoteExceptions after which the same call may succeed: failover, safe mode, lease recovery. */
const TRANSIENT_EXCEPTIONS: ReadonlySet<string> = new Set([
  "StandbyException",
  "RetriableException",
  "SafeModeException",
  "ConnectException",
  "AlreadyBeingCreatedException",
  "RecoveryInProgressException",
  "LeaseExpiredException",
  "NotReplicatedYetException",
  "ObserverRetryOnActiveException",
]);

/** The typed error of a WebHDFS answer with `status` and `body` (a RemoteException JSON, or anything). */
export function remoteError(status: number, body: string, what: string): WebHdfsError {
  let exception = "IOException";
  let message = body.trim().slice(0, 500) || `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { RemoteException?: { exception?: string; message?: string } };
    if (parsed.RemoteException?.exception) exception = parsed.RemoteException.exception;
    if (parsed.RemoteException?.message) message = parsed.RemoteException.message;
  } catch {
    // not JSON: keep the raw text
  }
  const text = `${what}: ${exception}: ${message}`;
  if (exception === "FileNotFoundException") return new HdfsNotFoundError(text, status);
  if (exception === "FileAlreadyExistsException") return new HdfsExistsError(text, status);
  if (exception === "AccessControlException" || exception === "SecurityException" || status === 401) {
    return new HdfsAccessError(exception, status, text);
  }
  if (TRANSIENT_EXCEPTIONS.has(exception) || status === 503 || status === 502 || status === 504) {
    return new WebHdfsError(ErrorCode.EXTERNAL_TRANSIENT, exception, status, text);
  }
  return new WebHdfsError(ErrorCode.EXTERNAL_FATAL, exception, status, text);
}

/** Network codes that mean the request never reached the server, so any operation may be sent again. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

function networkError(error: unknown, what: string): WebHdfsError {
  const code =
    (error as { code?: string; cause?: { code?: string } }).code ??
    (error as { cause?: { code?: string } }).cause?.code;
  const reason = error instanceof Error ? error.message : String(error);
  const timedOut = (error as Error).name === "TimeoutError";
  return new WebHdfsError(
    timedOut ? ErrorCode.TIMEOUT : ErrorCode.EXTERNAL_TRANSIENT,
    code !== undefined && NOT_SENT_CODES.has(code) ? "ConnectException" : "IOException",
    0,
    `${what}: ${timedOut ? "timed out" : reason}${code ? ` (${code})` : ""}`,
    { cause: error },
  );
}

/** True for an absolute HDFS path without empty, `.` or `..` segments or control characters. */
export function isCleanHdfsPath(path: string): boolean {
  if (path === "/") return true;
  if (!path.startsWith("/") || path.endsWith("/")) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return path
    .slice(1)
    .split("/")
    .every((segment) => segment !== "" && segment !== "." && segment !== ".." && !segment.includes(":"));
}

export interface WebHdfsOptions {
  /** The NameNode's HTTP address, e.g. http://namenode:9870. */
  url: string;
  /** `user.name` of every request (simple authentication); null: the NameNode's static user. */
  user: string | null;
  /** Attempts per call for failures that may pass (default 4). */
  attempts?: number;
  /** Time limit of one HTTP request (default 60 s). */
  requestTimeoutMs?: number;
  /** First backoff between attempts (default 200 ms), doubling up to 5 s. */
  backoffMs?: number;
}

type Method = "GET" | "PUT" | "POST" | "DELETE";

/**
 * A small WebHDFS client (REST over HTTP, no Hadoop jars). Every path is absolute and clean (see
 * isCleanHdfsPath) or the call throws BAD_REQUEST before anything is sent. RemoteException answers become
 * typed errors (HdfsNotFoundError, HdfsExistsError, HdfsAccessError, else WebHdfsError with the Java
 * exception name). Failures that may pass are retried with backoff: any of them for operations that are
 * safe to repeat, and for the others (RENAME, CONCAT, CREATE without overwrite, APPEND) only those that
 * prove nothing happened (connection refused, standby or safe-mode answers); an ambiguous failure of
 * those is thrown as retriable and the caller decides, since only it knows how to check what happened.
 */
export class WebHdfs {
  readonly #base: string;
  readonly #user: string | null;
  readonly #attempts: number;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;

  constructor(options: WebHdfsOptions) {
    this.#base = options.url.replace(/\/+$/, "");
    this.#user = options.user;
    this.#attempts = options.attempts ?? 4;
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#backoffMs = options.backoffMs ?? 200;
  }

  #url(path: string, op: string, params: Record<string, string> = {}): string {
    if (!isCleanHdfsPath(path)) {
      throw new SluiceError(
        ErrorCode.BAD_REQUEST,
        `refusing the HDFS path ${JSON.stringify(path)}: paths must be absolute, without empty, "." or ".." segments, ":" or control characters`,
      );
    }
    const encoded = path === "/" ? "/" : path.split("/").map(encodeURIComponent).join("/");
    const query = new URLSearchParams({ op, ...params });
    if (this.#user !== null) query.set("user.name", this.#user);
    return `${this.#base}/webhdfs/v1${encoded}?${query}`;
  }

  /** Runs `attempt` until it succeeds, fails for good, or runs out of attempts. */
  async #retry<T>(
    idempotent: boolean,
    signal: AbortSignal | undefined,
    attempt: () => Promise<T>,
  ): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        const again =
          error instanceof WebHdfsError &&
          error.retriable &&
          (idempotent || error.exception !== "IOException") &&
          n < this.#attempts &&
          !signal?.aborted;
        if (!again) throw error;
        await sleep(Math.min(5_000, this.#backoffMs * 2 ** (n - 1)), undefined, { signal });
      }
    }
  }

  #signal(signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  /** One request to the NameNode; resolves with the body of an answer with status `expect`. */
  async #call(
    method: Method,
    url: string,
    what: string,
    expect: number,
    signal?: AbortSignal,
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { method, redirect: "manual", signal: this.#signal(signal) });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw networkError(error, what);
    }
    if (response.status !== expect) throw remoteError(response.status, await response.text(), what);
    return response;
  }

  async #json<T>(
    method: Method,
    path: string,
    op: string,
    params: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<T> {
    const what = `${op} ${path}`;
    const url = this.#url(path, op, params);
    return this.#retry(method !== "POST" && op !== "RENAME", signal, async () => {
      const response = await this.#call(method, url, what, 200, signal);
      const text = await response.text();
      return (text === "" ? null : JSON.parse(text)) as T;
    });
  }

  /** Steps 1 and 2 of CREATE and APPEND: ask the NameNode, then send the bytes to the DataNode it names. */
  async #write(
    method: "PUT" | "POST",
    path: string,
    op: "CREATE" | "APPEND",
    params: Record<string, string>,
    data: Uint8Array,
    idempotent: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const what = `${op} ${path}`;
    const url = this.#url(path, op, params);
    await this.#retry(idempotent, signal, async () => {
      const redirect = await this.#call(method, url, what, 307, signal);
      const location = redirect.headers.get("location");
      if (location === null) throw remoteError(307, "answered 307 without a Location", what);
      const answer = await this.#sendToDataNode(method, location, data, what, signal);
      const expected = op === "CREATE" ? 201 : 200;
      if (answer.status !== expected) throw remoteError(answer.status, answer.body, what);
    });
  }

  /**
   * Step 2 of CREATE/APPEND over node:http rather than fetch: the DataNode answers with an unsolicited
   * "100 Continue" before its final status, which fetch (undici) rejects (nodejs/undici#197) and node:http
   * skips.
   */
  #sendToDataNode(
    method: "PUT" | "POST",
    location: string,
    data: Uint8Array,
    what: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: string }> {
    const send = location.startsWith("https:") ? httpsRequest : httpRequest;
    const combined = this.#signal(signal);
    return new Promise((resolve, reject) => {
      const headers = { "content-type": "application/octet-stream", "content-length": data.byteLength };
      const req = send(location, { method, headers, signal: combined }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => reject(networkError(error, what)));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      });
      req.on("error", (error) =>
        reject(signal?.aborted ? error : networkError(combined.reason ?? error, what)),
      );
      req.end(data);
    });
  }

  /** Writes a file with these bytes; `overwrite` replaces an existing one (else HdfsExistsError). */
  async create(
    path: string,
    data: Uint8Array,
    options: { overwrite: boolean },
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#write(
      "PUT",
      path,
      "CREATE",
      { overwrite: String(options.overwrite) },
      data,
      options.overwrite,
      signal,
    );
  }

  /** Appends bytes to an existing file. A retriable throw leaves it open whether they landed: check the length. */
  async append(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.#write("POST", path, "APPEND", {}, data, false, signal);
  }

  /** The whole content of a file. */
  async open(path: string, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#open(path, {}, signal);
  }

  /** `length` bytes of a file from `offset` (fewer when the file ends before). */
  async openRange(path: string, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#open(path, { offset: String(offset), length: String(length) }, signal);
  }

  async #open(path: string, range: Record<string, string>, signal?: AbortSignal): Promise<Uint8Array> {
    const what = `OPEN ${path}`;
    const url = this.#url(path, "OPEN", range);
    return this.#retry(true, signal, async () => {
      let response: Response;
      try {
        response = await fetch(url, { redirect: "follow", signal: this.#signal(signal) });
      } catch (error) {
        if (signal?.aborted) throw error;
        throw networkError(error, what);
      }
      if (response.status !== 200) throw remoteError(response.status, await response.text(), what);
      try {
        return new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        throw networkError(error, what);
      }
    });
  }

  /** Creates the directory and its parents; true when it exists afterwards. */
  async mkdirs(path: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.#json<{ boolean: boolean }>("PUT", path, "MKDIRS", {}, signal)).boolean;
  }

  /**
   * Renames `from` to `to`, whose parent must exist. With `overwrite` an existing file `to` is replaced
   * atomically and failures throw; without it the answer is false when `from` is missing or `to` exists.
   */
  async rename(
    from: string,
    to: string,
    options: { overwrite: boolean },
    signal?: AbortSignal,
  ): Promise<boolean> {
    this.#url(to, "RENAME");
    const params: Record<string, string> = { destination: to };
    if (options.overwrite) params.renameoptions = "OVERWRITE";
    const answer = await this.#json<{ boolean: boolean } | null>("PUT", from, "RENAME", params, signal);
    return answer === null ? true : answer.boolean;
  }

  /** Deletes a file or directory; false when there was nothing to delete. */
  async delete(path: string, options: { recursive: boolean }, signal?: AbortSignal): Promise<boolean> {
    const params = { recursive: String(options.recursive) };
    return (await this.#json<{ boolean: boolean }>("DELETE", path, "DELETE", params, signal)).boolean;
  }

  /** The entries of a directory in name order; HdfsNotFoundError when it does not exist. */
  async listStatus(path: string, signal?: AbortSignal): Promise<HdfsFileStatus[]> {
    const answer = await this.#json<{ FileStatuses: { FileStatus: HdfsFileStatus[] } }>(
      "GET",
      path,
      "LISTSTATUS",
      {},
      signal,
    );
    return answer.FileStatuses.FileStatus;
  }

  /** The entries of a directory, or [] when it does not exist. */
  async listOrEmpty(path: string, signal?: AbortSignal): Promise<HdfsFileStatus[]> {
    try {
      return await this.listStatus(path, signal);
    } catch (error) {
      if (error instanceof HdfsNotFoundError) return [];
      throw error;
    }
  }

  /** The status of a path, or null when it does not exist. */
  async getFileStatus(path: string, signal?: AbortSignal): Promise<HdfsFileStatus | null> {
    try {
      return (await this.#json<{ FileStatus: HdfsFileStatus }>("GET", path, "GETFILESTATUS", {}, signal))
        .FileStatus;
    } catch (error) {
      if (error instanceof HdfsNotFoundError) return null;
      throw error;
    }
  }

  /**
   * Appends the files `sources` (same directory as `target`, none empty) to `target` in one atomic NameNode
   * operation that also removes them; a reader sees either all of them or the longer target.
   */
  async concat(target: string, sources: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const source of sources) this.#url(source, "CONCAT");
    await this.#json<null>("POST", target, "CONCAT", { sources: sources.join(",") }, signal);
  }
}
