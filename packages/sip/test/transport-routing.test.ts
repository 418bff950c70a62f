import { test } from "uvu";
import * as assert from "uvu/assert";
import { type InboundSource, responseTarget } from "../src/transport/index.js";

const udpSource: InboundSource = {
  transport: "UDP",
  remoteAddress: "127.0.0.7",
  remotePort: 40000,
  family: 4,
  localAddress: "127.0.0.1",
  localPort: 5060,
};

test("UDP with rport: source address and source port, via the receiving socket", () => {
  const t = responseTarget(
    { transport: "UDP", host: "127.0.0.9", port: 5062, received: undefined, rport: null },
    udpSource,
  );
  assert.equal(t, {
    transport: "UDP",
    address: "127.0.0.7",
    port: 40000,
    localAddress: "127.0.0.1",
    localPort: 5060,
  });
});

test("UDP without rport: source address (never the Via host), Via sent-by port, default 5060", () => {
  const withPort = responseTarget(
    { transport: "UDP", host: "127.0.0.9", port: 5062, received: undefined, rport: undefined },
    udpSource,
  );
  assert.is(withPort.address, "127.0.0.7");
  assert.is(withPort.port, 5062);
  const noPort = responseTarget(
    { transport: "UDP", host: "phone.example", port: undefined, received: "127.0.0.8", rport: undefined },
    udpSource,
  );
  assert.is(noPort.address, "127.0.0.7");
  assert.is(noPort.port, 5060);
});

test("TCP/TLS: the inbound connection, at the source address and port", () => {
  const source: InboundSource = {
    transport: "TLS",
    remoteAddress: "::1",
    remotePort: 50123,
    family: 6,
    localAddress: "::1",
    localPort: 5061,
    connectionId: 42,
  };
  const t = responseTarget(
    { transport: "TLS", host: "127.0.0.9", port: 5061, received: undefined, rport: undefined },
    source,
  );
  assert.equal(t, { transport: "TLS", address: "::1", port: 50123, connectionId: 42 });
});

test.run();
