/** Node's Buffer has these without the encoding dispatch of `toString`; they are not in @types/node. */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

export function latin1(data: Buffer, start: number, end: number): string {
  return (data as unknown as FastSlices).latin1Slice(start, end);
}

export function utf8(data: Buffer, start: number, end: number): string {
  return (data as unknown as FastSlices).utf8Slice(start, end);
}
