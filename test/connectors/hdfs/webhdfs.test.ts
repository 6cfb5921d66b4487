// Invariant: the WebHDFS client moves bytes intact through the two-step CREATE/APPEND (whose DataNode step
// answers "100 Continue" first), turns RemoteException answers into typed errors, retries what may pass,
// and refuses paths that could leave their directory before sending anything.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, test } from "vitest";
import {
  HdfsExistsError,
  HdfsNotFoundError,
  WebHdfs,
  WebHdfsError,
} from "../../../connectors/hdfs/webhdfs.ts";
import { ErrorCode, isRetriable } from "../../../runtime/api/index.ts";
import { hdfs, STACK, testRoot } from "./harness.ts";

const root = testRoot("webhdfs");
afterAll(async () => {
  await hdfs.delete(root, { recursive: true });
});

test("CREATE and APPEND write bytes that OPEN returns intact, and LISTSTATUS lists with sizes", async () => {
  const path = `${root}/data/file.bin`;
  const first = randomBytes(300 * 1024);
  const second = randomBytes(1234);
  await hdfs.create(path, first, { overwrite: false });
  await hdfs.append(path, second);
  expect(Buffer.from(await hdfs.open(path)).equals(Buffer.concat([first, second]))).toBe(true);
  expect(await hdfs.getFileStatus(path)).toMatchObject({
    type: "FILE",
    length: first.length + second.length,
    owner: STACK.hdfsUser,
  });
  expect((await hdfs.listStatus(`${root}/data`)).map((e) => [e.pathSuffix, e.type, e.length])).toEqual([
    ["file.bin", "FILE", first.length + second.length],
  ]);
  await hdfs.create(path, Buffer.from("short"), { overwrite: true });
  expect(Buffer.from(await hdfs.open(path)).toString()).toBe("short");
});

test("MKDIRS, RENAME, CONCAT and DELETE answer as HDFS does", async () => {
  const dir = `${root}/ops`;
  expect(await hdfs.mkdirs(`${dir}/a/b`)).toBe(true);
  await hdfs.create(`${dir}/x`, Buffer.from("x1\n"), { overwrite: false });
  await hdfs.create(`${dir}/y`, Buffer.from("y1\n"), { overwrite: false });
  await hdfs.create(`${dir}/z`, Buffer.from("z1\n"), { overwrite: false });
  expect(await hdfs.rename(`${dir}/x`, `${dir}/y`, { overwrite: false })).toBe(false);
  expect(await hdfs.rename(`${dir}/x`, `${dir}/y`, { overwrite: true })).toBe(true);
  expect(Buffer.from(await hdfs.open(`${dir}/y`)).toString()).toBe("x1\n");
  await hdfs.concat(`${dir}/y`, [`${dir}/z`]);
  expect(Buffer.from(await hdfs.open(`${dir}/y`)).toString()).toBe("x1\nz1\n");
  expect((await hdfs.listStatus(dir)).map((e) => e.pathSuffix)).toEqual(["a", "y"]);
  expect(await hdfs.delete(`${dir}/nothing`, { recursive: false })).toBe(false);
  expect(await hdfs.delete(dir, { recursive: true })).toBe(true);
  expect(await hdfs.getFileStatus(dir)).toBeNull();
  expect(await hdfs.listOrEmpty(dir)).toEqual([]);
});

test("RemoteException answers become typed errors that name the Java exception", async () => {
  const missing = `${root}/missing/file`;
  const notFound = await hdfs.open(missing).catch((error: unknown) => error);
  expect(notFound).toBeInstanceOf(HdfsNotFoundError);
  expect(notFound).toMatchObject({
    exception: "FileNotFoundException",
    status: 404,
    code: ErrorCode.EXTERNAL_FATAL,
    retriable: false,
  });
  await expect(hdfs.listStatus(missing)).rejects.toBeInstanceOf(HdfsNotFoundError);
  await expect(hdfs.rename(missing, `${root}/elsewhere`, { overwrite: true })).rejects.toBeInstanceOf(
    HdfsNotFoundError,
  );

  await hdfs.create(`${root}/exists`, Buffer.from("1"), { overwrite: false });
  const exists = await hdfs
    .create(`${root}/exists`, Buffer.from("2"), { overwrite: false })
    .catch((error: unknown) => error);
  expect(exists).toBeInstanceOf(HdfsExistsError);
  expect(exists).toMatchObject({ exception: "FileAlreadyExistsException", retriable: false });
});

test("paths with .., relative paths, control characters or colons are refused before any request", async () => {
  // Nothing listens there: a request would fail with a network error, not BAD_REQUEST.
  const offline = new WebHdfs({ url: `http://127.0.0.1:${await closedPort()}`, user: "x", attempts: 1 });
  for (const path of ["/a/../b", "relative/x", "/a/\u0000b", "/a\nb", "/a/b:c", "/a//b", "/a/./b", "/a/"]) {
    await expect(offline.getFileStatus(path)).rejects.toMatchObject({ code: ErrorCode.BAD_REQUEST });
  }
  await expect(offline.rename("/a", "/b/../../etc", { overwrite: true })).rejects.toMatchObject({
    code: ErrorCode.BAD_REQUEST,
  });
});

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("an unreachable NameNode is a retriable error after the configured attempts", async () => {
  const offline = new WebHdfs({
    url: `http://127.0.0.1:${await closedPort()}`,
    user: "x",
    attempts: 3,
    backoffMs: 5,
  });
  const error = await offline.getFileStatus("/x").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebHdfsError);
  expect(error).toMatchObject({ exception: "ConnectException", retriable: true });
  expect(isRetriable(error)).toBe(true);
});

test("a StandbyException answer is retried and the call then succeeds", async () => {
  let refused = 0;
  const server: Server = createServer((req, res) => {
    if (refused < 2) {
      refused++;
      res.writeHead(403, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          RemoteException: {
            exception: "StandbyException",
            message: "Operation category READ is not supported in state standby",
          },
        }),
      );
      return;
    }
    void fetch(`${STACK.webhdfsUrl}${req.url}`).then(async (answer) => {
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const flaky = new WebHdfs({
      url: `http://127.0.0.1:${port}`,
      user: STACK.hdfsUser,
      attempts: 3,
      backoffMs: 5,
    });
    expect(await flaky.getFileStatus("/")).toMatchObject({ type: "DIRECTORY" });
    expect(refused).toBe(2);
  } finally {
    server.close();
  }
});
