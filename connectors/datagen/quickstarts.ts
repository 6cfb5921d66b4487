import type { Schema } from "../../runtime/api/index.ts";
import type { RecordRandom } from "./random.ts";

/**
 * The built-in data sets, shaped as Confluent's datagen quickstarts of the same names so that demos
 * and ksqlDB tutorials written for them work: the same fields, types and value ranges.
 */
export interface Quickstart {
  readonly name: string;
  /** The field used as the record key unless `schema.keyfield` names another. */
  readonly keyField: string;
  /** The Kafka Connect schema of the value (a struct). */
  readonly valueSchema: Schema & { fields: Array<Schema & { field: string }> };
  /** The value of record `iteration`, every random field drawn from `random`. */
  value(random: RecordRandom, iteration: number): Record<string, unknown>;
}

/** Milliseconds since the epoch, in the range Confluent's quickstarts draw timestamps from (2017-2018). */
const TIME_MIN = 1_487_715_775_521;
const TIME_MAX = 1_519_273_364_600;

const STRING: Schema = { type: "string" };
const INT64: Schema = { type: "int64" };

const users: Quickstart = {
  name: "users",
  keyField: "userid",
  valueSchema: {
    type: "struct",
    name: "ksql.users",
    fields: [
      { field: "registertime", ...INT64 },
      { field: "userid", ...STRING },
      { field: "regionid", ...STRING },
      { field: "gender", ...STRING },
    ],
  },
  value: (random) => ({
    registertime: random.int(TIME_MIN, TIME_MAX),
    userid: `User_${random.digits(1)}`,
    regionid: `Region_${random.digits(1)}`,
    gender: random.pick(["MALE", "FEMALE", "OTHER"]),
  }),
};

const pageviews: Quickstart = {
  name: "pageviews",
  keyField: "viewtime",
  valueSchema: {
    type: "struct",
    name: "ksql.pageviews",
    fields: [
      { field: "viewtime", ...INT64 },
      { field: "userid", ...STRING },
      { field: "pageid", ...STRING },
    ],
  },
  value: (random, iteration) => ({
    viewtime: 1 + 10 * iteration,
    userid: `User_${random.digits(1)}`,
    pageid: `Page_${random.digits(1)}${random.int(0, 9)}`,
  }),
};

const orders: Quickstart = {
  name: "orders",
  keyField: "orderid",
  valueSchema: {
    type: "struct",
    name: "ksql.orders",
    fields: [
      { field: "ordertime", ...INT64 },
      // int32 in Confluent's schema; int64 here so that an iteration past 2^31 still fits.
      { field: "orderid", ...INT64 },
      { field: "itemid", ...STRING },
      { field: "orderunits", type: "float64" },
      {
        field: "address",
        type: "struct",
        name: "ksql.address",
        fields: [
          { field: "city", ...STRING },
          { field: "state", ...STRING },
          { field: "zipcode", ...INT64 },
        ],
      },
    ],
  },
  value: (random, iteration) => ({
    ordertime: random.int(TIME_MIN, TIME_MAX),
    orderid: iteration,
    itemid: `Item_${random.int(1, 999)}`,
    orderunits: random.double(0.1, 10),
    address: {
      city: `City_${random.digits(random.int(0, 2))}`,
      state: `State_${random.digits(random.int(0, 2))}`,
      zipcode: random.int(10_000, 99_999),
    },
  }),
};

export const QUICKSTARTS: ReadonlyMap<string, Quickstart> = new Map(
  [users, pageviews, orders].map((quickstart) => [quickstart.name, quickstart]),
);

/** The quickstart of that name, case-insensitively; undefined when there is none. */
export function findQuickstart(name: string): Quickstart | undefined {
  return QUICKSTARTS.get(name.trim().toLowerCase());
}
