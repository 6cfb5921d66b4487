// Invariant: the stack's HDFS is a real cluster: files written through WebHDFS's two-step CREATE are read back byte for byte and listed with their sizes.
import { randomBytes } from "node:crypto";
import { expect, test } from "vitest";
import { loadStackEnv } from "../../stack/env.ts";
import { putToDataNode } from "../../stack/services/hdfs.ts";

const { webhdfsUrl, hdfsUser } = loadStackEnv();

function url(path: string, op: string): string {
  return `${webhdfsUrl}/webhdfs/v1${path}?op=${op}&user.name=${hdfsUser}`;
}

/** Step 1 asks the NameNode, which answers 307 with a DataNode on 127.0.0.1; step 2 sends the bytes there. */
async function create(path: string, content: Buffer): Promise<void> {
  const namenode = await fetch(url(path, "CREATE&overwrite=false"), { method: "PUT", redirect: "manual" });
  expect(namenode.status).toBe(307);
  const datanode = new URL(namenode.headers.get("location") ?? "");
  expect(datanode.hostname).toBe("127.0.0.1");
  const created = await putToDataNode(datanode.href, content, AbortSignal.timeout(30_000));
  expect(created.status).toBe(201);
}

test("files created through WebHDFS are read back intact and listed with their sizes", async () => {
  const dir = `/tmp/test-stack-hdfs-${Date.now()}`;
  const text = Buffer.from("first line\nsecond line, not ASCII: ünïcødé\n");
  const binary = randomBytes(200 * 1024);
  await create(`${dir}/a.txt`, text);
  await create(`${dir}/b.bin`, binary);

  for (const [name, content] of [
    ["a.txt", text],
    ["b.bin", binary],
  ] as const) {
    const opened = await fetch(url(`${dir}/${name}`, "OPEN"));
    expect(opened.status).toBe(200);
    expect(Buffer.from(await opened.arrayBuffer()).equals(content)).toBe(true);
  }

  const listed = await fetch(url(dir, "LISTSTATUS"));
  expect(listed.status).toBe(200);
  const { FileStatuses } = (await listed.json()) as {
    FileStatuses: { FileStatus: Array<{ pathSuffix: string; type: string; length: number; owner: string }> };
  };
  expect(
    FileStatuses.FileStatus.map(({ pathSuffix, type, length, owner }) => ({
      pathSuffix,
      type,
      length,
      owner,
    })),
  ).toEqual([
    { pathSuffix: "a.txt", type: "FILE", length: text.length, owner: hdfsUser },
    { pathSuffix: "b.bin", type: "FILE", length: 200 * 1024, owner: hdfsUser },
  ]);

  const deleted = await fetch(url(dir, "DELETE&recursive=true"), { method: "DELETE" });
  expect(await deleted.json()).toEqual({ boolean: true });
});
