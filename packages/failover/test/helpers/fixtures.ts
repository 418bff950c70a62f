import type { FailoverServiceConfig } from "../../src/index.js";

/** Two nodes on distinct loopback addresses: tests never put anything but loopback in records. */
export const PRIMARY = {
  name: "primary",
  ipv4: "127.0.0.11",
  ipv6: "::1",
  priority: 10,
  ports: { udp: 5060, tcp: 5060, tls: 5061 },
};

export const STANDBY = {
  name: "standby",
  ipv4: "127.0.0.12",
  priority: 20,
  ports: { udp: 5070, tcp: 5070, tls: 5071 },
};

export const SERVICE: FailoverServiceConfig = {
  zone: "operator.example",
  serviceName: "sip.operator.example",
  ttl: 30,
  nodes: [STANDBY, PRIMARY],
};
