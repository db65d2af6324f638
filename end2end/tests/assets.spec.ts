import { expect } from "@playwright/test";
import { test } from "./helpers";

test("the browser bundle is sent compressed to a browser that accepts it, and as is to one that does not", async ({ request }) => {
  const plain = await request.get("/pkg/gatehouse.wasm", { headers: { "Accept-Encoding": "identity" } });
  expect(plain.status()).toBe(200);
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  const whole = Number(plain.headers()["content-length"]);
  for (const encoding of ["br", "gzip"]) {
    const packed = await request.get("/pkg/gatehouse.wasm", { headers: { "Accept-Encoding": encoding } });
    expect(packed.status()).toBe(200);
    expect(packed.headers()["content-encoding"]).toBe(encoding);
    expect(packed.headers()["content-type"]).toBe("application/wasm");
    // At most half the bytes on the wire.
    expect(Number(packed.headers()["content-length"])).toBeLessThan(whole / 2);
  }
});
