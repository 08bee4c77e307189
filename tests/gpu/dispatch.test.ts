import { describe, expect, it } from 'vitest';
import { matmulDispatch, matmulParams, MatmulProgram } from '../../src/gpu/matmulProgram';
import { rowsPerBlock } from '../../src/gpu/randomizedSvd';
import { BlockJacobiRoundProgram, jacobiParams, JACOBI_PARAMS_BYTES } from '../../src/gpu/blockJacobiProgram';

/**
 * The GPU programs' pure parts in Node: dispatch sizes, uniform packing,
 * row tiling under a binding limit, and shader keys that tell variants apart
 * (the pipeline cache is keyed by them).
 */

describe('matmul dispatch', () => {
  it('covers every 64 x 64 tile of the output', () => {
    expect(matmulDispatch(1, 1)).toEqual([1, 1]);
    expect(matmulDispatch(64, 64)).toEqual([1, 1]);
    expect(matmulDispatch(65, 129)).toEqual([3, 2]);
    expect(matmulDispatch(4096, 74)).toEqual([2, 64]);
  });

  it('packs M, N, K as u32', () => {
    expect(Array.from(new Uint32Array(matmulParams(7, 8, 9)))).toEqual([7, 8, 9, 0]);
  });

  it('gives each transpose/accumulate variant its own key and WGSL', () => {
    const variants = [false, true].flatMap((a) => [false, true].map((c) => new MatmulProgram(a, c)));
    expect(new Set(variants.map((v) => v.shaderKey)).size).toBe(4);
    expect(new Set(variants.map((v) => v.getUserCode())).size).toBe(4);
    expect(new MatmulProgram(true, false).getUserCode()).toContain('A[k * params.M + i]');
    expect(new MatmulProgram(false, true).getUserCode()).toContain('C[row * params.N + col] += ');
  });
});

describe('row tiling', () => {
  it('fits each block of A in the binding limit', () => {
    expect(rowsPerBlock(25088, 4096, 128 * 1024 * 1024)).toBe(8192); // VGG's fc6 in 4 blocks under 128 MiB
    expect(rowsPerBlock(300, 200, 64 * 200 * 4)).toBe(64);
    expect(rowsPerBlock(10, 10, 1e12)).toBe(10);
    expect(rowsPerBlock(10, 1e6, 16)).toBe(1);
  });
});

describe('block Jacobi round program', () => {
  it('packs its uniforms in 32 bytes with the tolerance as f32', () => {
    const buf = jacobiParams(784, 64, 2, 2, 1e-5, 4);
    expect(buf.byteLength).toBe(JACOBI_PARAMS_BYTES);
    const u = new Uint32Array(buf);
    expect([u[0], u[1], u[2], u[3], u[5]]).toEqual([784, 64, 2, 2, 4]);
    expect(new Float32Array(buf)[4]).toBeCloseTo(1e-5, 10);
  });

  it('embeds the 31-step inner round-robin over 32 columns', () => {
    const code = new BlockJacobiRoundProgram().getUserCode();
    expect(code).toContain('array<vec2u, 496>');
    expect(code.match(/vec2u\(\d+u, \d+u\)/g)).toHaveLength(496);
  });
});
