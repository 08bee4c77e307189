/**
 * WGSL for C = op(A) B (+ C when accumulating), float32, row-major storage,
 * op = identity or transpose: the products of the randomized top-k SVD
 * (A Omega, A Z, A V, A^T Q, Q^T A). B is never transposed there, so no
 * variant for it is compiled (each costs seconds on a software adapter). Each 16 x 16 workgroup computes a 64 x 64
 * tile of C, 4 x 4 outputs per thread, streaming 16-wide slices of A and B
 * through workgroup memory.
 */

const TILE = 64;
const KSLICE = 16;

/** Uniform block of a product: sizes of op(A) (M x K) and op(B) (K x N). */
export const MATMUL_PARAMS_BYTES = 16;

/** Packs the uniform block for an M x K by K x N product. */
export function matmulParams(M: number, N: number, K: number): ArrayBuffer {
  return Uint32Array.of(M, N, K, 0).buffer;
}

/** Workgroups for an M x N output: one per 64 x 64 tile. */
export function matmulDispatch(M: number, N: number): [number, number] {
  return [Math.ceil(N / TILE), Math.ceil(M / TILE)];
}

/** The product program for one combination of transposing A and accumulating. */
export class MatmulProgram {
  readonly shaderKey: string;
  readonly workgroupSize: [number, number] = [16, 16];

  constructor(readonly transposeA: boolean, readonly accumulate: boolean) {
    this.shaderKey = `matmul_tA${+transposeA}_acc${+accumulate}`;
  }

  getUserCode(): string {
    // Element (i, k) of op(A) and (k, j) of op(B) in row-major storage.
    const a = this.transposeA ? 'A[k * params.M + i]' : 'A[i * params.K + k]';
    const b = 'B[k * params.N + j]';
    return /* wgsl */ `
struct Params { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> As: array<f32, ${TILE * KSLICE}>;
var<workgroup> Bs: array<f32, ${KSLICE * TILE}>;

fn loadA(i: u32, k: u32) -> f32 {
  if (i >= params.M || k >= params.K) { return 0.0; }
  return ${a};
}

fn loadB(k: u32, j: u32) -> f32 {
  if (k >= params.K || j >= params.N) { return 0.0; }
  return ${b};
}

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  let t = lid.y * 16u + lid.x;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < params.K; k0 += ${KSLICE}u) {
    // 1,024 elements of each slice, 4 per thread.
    for (var q = 0u; q < 4u; q++) {
      let e = t + q * 256u;
      let r = e / ${KSLICE}u;
      let kk = e % ${KSLICE}u;
      As[r * ${KSLICE}u + kk] = loadA(row0 + r, k0 + kk);
      let kb = e / ${TILE}u;
      let c = e % ${TILE}u;
      Bs[kb * ${TILE}u + c] = loadB(k0 + kb, col0 + c);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${KSLICE}u; kk++) {
      var bv: array<f32, 4>;
      for (var j = 0u; j < 4u; j++) { bv[j] = Bs[kk * ${TILE}u + lid.x * 4u + j]; }
      for (var i = 0u; i < 4u; i++) {
        let av = As[(lid.y * 4u + i) * ${KSLICE}u + kk];
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] += av * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (row < params.M && col < params.N) {
        ${this.accumulate ? 'C[row * params.N + col] += acc[i * 4u + j];' : 'C[row * params.N + col] = acc[i * 4u + j];'}
      }
    }
  }
}
`;
  }
}
