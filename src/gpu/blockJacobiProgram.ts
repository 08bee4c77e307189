import { roundRobinRounds } from '../core/jacobiSchedule';

/**
 * WGSL for one round of block one-sided Jacobi. One workgroup takes one pair
 * of column blocks (2 x 16 columns of the column-major work matrix W):
 *   1. Gram matrix G = [W_I W_J]^T [W_I W_J] (32 x 32), streamed through
 *      workgroup memory 32 rows at a time;
 *   2. convergence: the largest |cos| between its columns; if it is below
 *      the tolerance the pair is left alone;
 *   3. eigen-decomposition G = Q D Q^T by parallel cyclic Jacobi in
 *      workgroup memory (16 disjoint rotations per step), then one
 *      Newton-Schulz step that makes Q orthogonal to float32 rounding;
 *   4. [W_I W_J] <- [W_I W_J] Q and [V_I V_J] <- [V_I V_J] Q, row by row.
 * The pair's columns are then mutually orthogonal; sweeps of rounds repeat
 * until every pair is. The Gram matrix only chooses the rotation: norms and
 * cosines are always recomputed from W itself, so float32 Gram rounding slows
 * convergence at worst and does not set the accuracy.
 */

/** Columns per block; a pair of blocks (32 columns) fills one workgroup's matrices. */
export const JACOBI_BLOCK = 16;
const PAIR = 2 * JACOBI_BLOCK;
const WORKGROUP = 256;

/** Layout of the per-round uniform buffer (8 x u32/f32, 32 bytes). */
export const JACOBI_PARAMS_BYTES = 32;

/** Packs the uniform block the round shader reads. */
export function jacobiParams(m: number, vRows: number, round: number, pairsPerRound: number, tolerance: number, innerSweeps: number): ArrayBuffer {
  const buf = new ArrayBuffer(JACOBI_PARAMS_BYTES);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u[0] = m;
  u[1] = vRows;
  u[2] = round;
  u[3] = pairsPerRound;
  f[4] = tolerance;
  u[5] = innerSweeps;
  return buf;
}

/** WGSL that applies Q to the 32 pair columns of one row of the column-major matrix `name` (W or V). */
function rotateRowFn(name: 'W' | 'V'): string {
  return `
fn rotateRow${name}(row: u32, rows: u32, pair: vec2u) {
  var x: array<f32, ${PAIR}>;
  for (var c = 0u; c < P; c++) { x[c] = ${name}[column(c, pair) * rows + row]; }
  for (var j = 0u; j < P; j++) {
    var s = 0.0;
    for (var c = 0u; c < P; c++) { s += x[c] * Q[c * P + j]; }
    ${name}[column(j, pair) * rows + row] = s;
  }
}`;
}

/** WGSL for a plane rotation of entries a and b of the workgroup matrix `name`: (a, b) <- (c a - s b, s a + c b). */
function planeRotationFn(name: 'G' | 'Q'): string {
  return `
fn rotate${name}(a: u32, b: u32, c: f32, s: f32) {
  let x = ${name}[a];
  let y = ${name}[b];
  ${name}[a] = c * x - s * y;
  ${name}[b] = s * x + c * y;
}`;
}

/** The round shader: `main`, workgroup size 256, one workgroup per block pair. */
export class BlockJacobiRoundProgram {
  readonly shaderKey = `blockJacobiRound_b${JACOBI_BLOCK}_wg${WORKGROUP}`;
  readonly workgroupSize = WORKGROUP;

  getUserCode(): string {
    const inner = roundRobinRounds(PAIR).flat().map(([a, b]) => `vec2u(${a}u, ${b}u)`).join(', ');
    const steps = PAIR - 1;
    return /* wgsl */ `
struct Params { m: u32, vRows: u32, round: u32, pairsPerRound: u32, tol: f32, innerSweeps: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> V: array<f32>;
@group(0) @binding(2) var<storage, read> pairs: array<vec2u>;
@group(0) @binding(3) var<storage, read_write> roundMax: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read> history: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

const B = ${JACOBI_BLOCK}u;
const P = ${PAIR}u;
const WG = ${WORKGROUP}u;
const PER_THREAD = ${(PAIR * PAIR) / WORKGROUP}u;
const INNER = array<vec2u, ${steps * (PAIR / 2)}>(${inner});

var<workgroup> tile: array<f32, ${PAIR * PAIR}>;
var<workgroup> G: array<f32, ${PAIR * PAIR}>;
var<workgroup> Q: array<f32, ${PAIR * PAIR}>;
var<workgroup> rotC: array<f32, ${PAIR / 2}>;
var<workgroup> rotS: array<f32, ${PAIR / 2}>;
var<workgroup> red: array<f32, ${WORKGROUP}>;
var<workgroup> flag: u32;

fn column(c: u32, pair: vec2u) -> u32 {
  return select(pair.y * B + (c - B), pair.x * B + c, c < B);
}

${rotateRowFn('W')}
${rotateRowFn('V')}
${planeRotationFn('G')}
${planeRotationFn('Q')}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3u) {
  // A sweep that found every pair orthogonal ends the work: later rounds in
  // the same submission return at once.
  if (t == 0u) {
    let done = history[0];
    flag = select(1u, 0u, done > 0u && bitcast<f32>(history[done]) <= params.tol);
  }
  if (workgroupUniformLoad(&flag) == 0u) { return; }

  let pair = pairs[params.round * params.pairsPerRound + wid.x];
  let m = params.m;

  // 1. Gram matrix, 32 rows of the pair at a time; consecutive threads read consecutive rows.
  var acc: array<f32, PER_THREAD>;
  for (var row0 = 0u; row0 < m; row0 += P) {
    for (var k = 0u; k < PER_THREAD; k++) {
      let e = t + k * WG;
      let c = e / P;
      let r = e % P;
      let row = row0 + r;
      var val = 0.0;
      if (row < m) { val = W[column(c, pair) * m + row]; }
      tile[r * P + c] = val;
    }
    workgroupBarrier();
    for (var k = 0u; k < PER_THREAD; k++) {
      let e = t + k * WG;
      let i = e / P;
      let j = e % P;
      var s = 0.0;
      for (var r = 0u; r < P; r++) { s += tile[r * P + i] * tile[r * P + j]; }
      acc[k] += s;
    }
    workgroupBarrier();
  }
  for (var k = 0u; k < PER_THREAD; k++) { G[t + k * WG] = acc[k]; }
  workgroupBarrier();

  // 2. Largest cosine between two columns of the pair.
  var worst = 0.0;
  for (var k = 0u; k < PER_THREAD; k++) {
    let e = t + k * WG;
    let i = e / P;
    let j = e % P;
    let d = sqrt(G[i * P + i]) * sqrt(G[j * P + j]);
    if (i < j && d > 0.0) { worst = max(worst, abs(G[e]) / d); }
  }
  red[t] = worst;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half = half / 2u) {
    if (t < half) { red[t] = max(red[t], red[t + half]); }
    workgroupBarrier();
  }
  if (t == 0u) {
    atomicMax(&roundMax[params.round], bitcast<u32>(red[0]));
    flag = select(0u, 1u, red[0] > params.tol);
  }
  if (workgroupUniformLoad(&flag) == 0u) { return; }

  // 3. Q with Q^T G Q diagonal, by cyclic Jacobi on G in workgroup memory.
  for (var k = 0u; k < PER_THREAD; k++) {
    let e = t + k * WG;
    Q[e] = select(0.0, 1.0, e / P == e % P);
  }
  workgroupBarrier();
  for (var sweep = 0u; sweep < params.innerSweeps; sweep++) {
    for (var step = 0u; step < ${steps}u; step++) {
      if (t < P / 2u) {
        let pq = INNER[step * (P / 2u) + t];
        let app = G[pq.x * P + pq.x];
        let aqq = G[pq.y * P + pq.y];
        let apq = G[pq.x * P + pq.y];
        var c = 1.0;
        var s = 0.0;
        if (apq != 0.0 && abs(apq) > 1e-7 * sqrt(app) * sqrt(aqq)) {
          let theta = (aqq - app) / (2.0 * apq);
          var tn = 0.0;
          if (abs(theta) > 1e18) { tn = 0.5 / theta; }
          else { tn = sign(theta) / (abs(theta) + sqrt(1.0 + theta * theta)); }
          if (theta == 0.0) { tn = 1.0; }
          c = inverseSqrt(1.0 + tn * tn);
          s = tn * c;
        }
        rotC[t] = c;
        rotS[t] = s;
      }
      workgroupBarrier();
      // Rows p and q of G (G <- J^T G).
      for (var k = 0u; k < 2u; k++) {
        let task = t + k * WG;
        let pi = task / P;
        let col = task % P;
        let pq = INNER[step * (P / 2u) + pi];
        let c = rotC[pi];
        let s = rotS[pi];
        rotateG(pq.x * P + col, pq.y * P + col, c, s);
      }
      workgroupBarrier();
      // Columns p and q of G and of Q (G <- G J, Q <- Q J).
      for (var k = 0u; k < 2u; k++) {
        let task = t + k * WG;
        let pi = task / P;
        let row = task % P;
        let pq = INNER[step * (P / 2u) + pi];
        let c = rotC[pi];
        let s = rotS[pi];
        rotateG(row * P + pq.x, row * P + pq.y, c, s);
        rotateQ(row * P + pq.x, row * P + pq.y, c, s);
      }
      workgroupBarrier();
    }
  }

  // Q is a product of ~124 float32 rotations, orthogonal only to ~1e-5; over
  // hundreds of rounds that drift would show in V. One Newton-Schulz step,
  // Q <- Q (3 I - Q^T Q) / 2, squares the defect.
  for (var k = 0u; k < PER_THREAD; k++) {
    let e = t + k * WG;
    let i = e / P;
    let j = e % P;
    var s = 0.0;
    for (var r = 0u; r < P; r++) { s += Q[r * P + i] * Q[r * P + j]; }
    G[e] = s;
  }
  workgroupBarrier();
  for (var k = 0u; k < PER_THREAD; k++) {
    let e = t + k * WG;
    let i = e / P;
    let j = e % P;
    var s = 0.0;
    for (var r = 0u; r < P; r++) { s += Q[i * P + r] * G[r * P + j]; }
    tile[e] = 1.5 * Q[e] - 0.5 * s;
  }
  workgroupBarrier();
  for (var k = 0u; k < PER_THREAD; k++) { Q[t + k * WG] = tile[t + k * WG]; }
  workgroupBarrier();

  // 4. Rotate the pair's columns of W and V by Q.
  for (var row = t; row < m; row += WG) { rotateRowW(row, m, pair); }
  for (var row = t; row < params.vRows; row += WG) { rotateRowV(row, params.vRows, pair); }
}
`;
  }
}

/**
 * WGSL run once after each sweep: records the sweep's largest cosine in
 * history (history[0] counts sweeps, history[1 + s] holds sweep s's value as
 * f32 bits) and clears the per-round maxima for the next sweep.
 */
export class JacobiSweepEndProgram {
  readonly shaderKey = 'blockJacobiSweepEnd';
  readonly workgroupSize = 1;

  getUserCode(): string {
    return /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> roundMax: array<u32>;
@group(0) @binding(1) var<storage, read_write> history: array<u32>;

@compute @workgroup_size(1)
fn main() {
  let done = history[0];
  if (done > 0u && bitcast<f32>(history[done]) <= bitcast<f32>(history[arrayLength(&history) - 1u])) { return; }
  var worst = 0u;
  for (var r = 0u; r < arrayLength(&roundMax); r++) {
    worst = max(worst, roundMax[r]);
    roundMax[r] = 0u;
  }
  if (done + 2u < arrayLength(&history)) {
    history[done + 1u] = worst;
    history[0] = done + 1u;
  }
}
`;
  }
}
