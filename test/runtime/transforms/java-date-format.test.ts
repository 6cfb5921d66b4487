// Invariant: a SimpleDateFormat pattern formats an instant in UTC as Java does, and parses only text that matches it exactly and names a real date.
import { expect, test } from "vitest";
import { JavaDateFormat } from "../../../runtime/transforms/java-date-format.ts";

const AT = Date.UTC(2024, 1, 29, 7, 5, 3, 45);

test("numeric, textual and literal fields format as Java formats them", () => {
  expect(new JavaDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZ").format(AT)).toBe("2024-02-29T07:05:03.045+0000");
  expect(new JavaDateFormat("EEEE, d MMMM yy, h:mm a 'o''clock' z").format(AT)).toBe(
    "Thursday, 29 February 24, 7:05 AM o'clock UTC",
  );
  expect(new JavaDateFormat("D S X").format(AT)).toBe("60 45 Z");
});

test("text parses back to the instant it names, honouring offsets and AM/PM", () => {
  expect(new JavaDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").parse("2024-02-29T09:05:03.045+02:00")).toBe(AT);
  expect(new JavaDateFormat("yyyyMMddHHmm").parse("202402290705")).toBe(Date.UTC(2024, 1, 29, 7, 5));
  expect(new JavaDateFormat("d MMM yyyy h:mm a").parse("29 feb 2024 7:05 pm")).toBe(
    Date.UTC(2024, 1, 29, 19, 5),
  );
});

test("text that does not match wholly, or names no real date, does not parse", () => {
  const format = new JavaDateFormat("yyyy-MM-dd");
  expect([format.parse("2024-02-30"), format.parse("2024-13-01"), format.parse("2024-02-29 extra")]).toEqual([
    undefined,
    undefined,
    undefined,
  ]);
});

test("an unsupported letter or an unterminated quote is refused", () => {
  expect(() => new JavaDateFormat("yyyy-ww")).toThrow('unsupported letter "w" in date pattern "yyyy-ww"');
  expect(() => new JavaDateFormat("yyyy 'at")).toThrow("unterminated quote");
});
