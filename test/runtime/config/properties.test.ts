// Invariant: a .properties file reads as java.util.Properties reads it, so connect-standalone.properties
// and secrets files written for Kafka Connect mean the same to Sluice.
import { expect, test } from "vitest";
import { parseProperties } from "../../../runtime/config/properties.ts";

test("keys and values split at =, : or whitespace, and comments and blank lines are skipped", () => {
  const text = [
    "# a comment",
    "! another comment",
    "",
    "bootstrap.servers=localhost:9092",
    "  key.converter : org.apache.kafka.connect.json.JsonConverter",
    "plugin.path /usr/share/java",
    "empty.value=",
    "url=jdbc:mysql://db:3306/x?a=b",
  ].join("\n");
  expect(parseProperties(text)).toEqual({
    "bootstrap.servers": "localhost:9092",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "plugin.path": "/usr/share/java",
    "empty.value": "",
    url: "jdbc:mysql://db:3306/x?a=b",
  });
});

test("a trailing backslash continues the line and escapes are decoded", () => {
  const text =
    "list=a,\\\n    b,\\\r\n  c\npath=C:\\\\dir\nkey\\=with\\:seps=v\\tx\nsnow=\\u2603\nlater=1\nlater=2\n";
  expect(parseProperties(text)).toEqual({
    list: "a,b,c",
    path: "C:\\dir",
    "key=with:seps": "v\tx",
    snow: "☃",
    later: "2",
  });
});
