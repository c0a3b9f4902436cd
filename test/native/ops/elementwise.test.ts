import { describe, expect, it } from 'vitest';
import { checkGradients, makeValues, runOp, type OpCase } from './harness.js';

const UNARY: Record<string, (x: number) => number> = {
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  softsign: (x) => x / (1 + Math.abs(x)),
  softplus: (x) => Math.log1p(Math.exp(x)),
  silu: (x) => x / (1 + Math.exp(-x)),
  exp: Math.exp,
  square: (x) => x * x,
  abs: Math.abs,
  neg: (x) => -x,
  hard_sigmoid: (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)),
};

const KINKED = new Set(['relu', 'abs', 'leaky_relu', 'elu', 'selu', 'hard_sigmoid']);

describe('elementwise unary ops', () => {
  for (const [op, f] of Object.entries(UNARY)) {
    it(`${op}: forward matches its definition and the gradient matches finite differences`, async () => {
      const c: OpCase = { op, inputs: [{ shape: [3, 4], keepAwayFrom: KINKED.has(op) ? [0, -3, 3] : [] }] };
      const x = makeValues(c, 3);
      const { outputs } = await runOp(c, x, 'float64');
      x[0].forEach((v, i) => expect(outputs[0][i]).toBeCloseTo(f(v), 12));
      await checkGradients(c);
    });
  }

  it('log and sqrt on positive inputs', async () => {
    for (const op of ['log', 'sqrt']) {
      const values = [[0.3, 1.2, 2.5, 0.7, 4.0, 1.9]];
      const c: OpCase = { op, inputs: [{ shape: [2, 3], values: values[0] }] };
      const { outputs } = await runOp(c, values, 'float64');
      values[0].forEach((v, i) => expect(outputs[0][i]).toBeCloseTo(op === 'log' ? Math.log(v) : Math.sqrt(v), 12));
      await checkGradients(c);
    }
  });

  it('leaky_relu, elu and gelu honour their attributes', async () => {
    const x = [[-2, -0.5, 0.5, 2]];
    const leaky = await runOp({ op: 'leaky_relu', inputs: [{ shape: [4] }], attrs: { alpha: 0.3 } }, x, 'float64');
    expect([...leaky.outputs[0]]).toEqual([-0.6, -0.15, 0.5, 2].map((v) => expect.closeTo(v, 12)));
    const elu = await runOp({ op: 'elu', inputs: [{ shape: [4] }], attrs: { alpha: 0.5 } }, x, 'float64');
    expect(elu.outputs[0][0]).toBeCloseTo(0.5 * Math.expm1(-2), 12);
    const erf = await runOp({ op: 'gelu', inputs: [{ shape: [4] }] }, x, 'float64');
    expect(erf.outputs[0][3]).toBeCloseTo(1.9544997361036416, 12);
    const tanh = await runOp({ op: 'gelu', inputs: [{ shape: [4] }], attrs: { approximate: true } }, x, 'float64');
    expect(tanh.outputs[0][3]).toBeCloseTo(1.9545976940871754, 10);
    for (const c of [
      { op: 'leaky_relu', inputs: [{ shape: [2, 3], keepAwayFrom: [0] }], attrs: { alpha: 0.3 } },
      { op: 'elu', inputs: [{ shape: [2, 3], keepAwayFrom: [0] }], attrs: { alpha: 0.5 } },
      { op: 'gelu', inputs: [{ shape: [2, 3] }] },
      { op: 'gelu', inputs: [{ shape: [2, 3] }], attrs: { approximate: true } },
    ]) {
      await checkGradients(c);
    }
  });
});

describe('elementwise binary ops with broadcasting', () => {
  const shapes: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[2, 3], [3]],
    [[4, 1, 3], [2, 1]],
    [[], [2, 2]],
  ];
  const F: Record<string, (a: number, b: number) => number> = {
    add: (a, b) => a + b,
    sub: (a, b) => a - b,
    mul: (a, b) => a * b,
    div: (a, b) => a / b,
    maximum: Math.max,
    minimum: Math.min,
  };
  for (const [op, f] of Object.entries(F)) {
    it(`${op}: numpy broadcasting forward and gradients`, async () => {
      for (const [sa, sb] of shapes) {
        const c: OpCase = { op, inputs: [{ shape: sa }, { shape: sb, keepAwayFrom: op === 'div' ? [0] : [] }] };
        const values = makeValues(c, 11);
        const { outputs, shapes: outShapes } = await runOp(c, values, 'float64');
        const out = outShapes[0];
        // Check a few elements by explicit broadcast indexing.
        const at = (shape: number[], vals: number[], idx: number[]) => {
          const off = idx.slice(idx.length - shape.length).reduce((acc, d, k) => acc * shape[k] + (shape[k] === 1 ? 0 : d), 0);
          return vals[off];
        };
        for (let i = 0; i < outputs[0].length; i++) {
          const idx: number[] = [];
          let rest = i;
          for (let d = out.length - 1; d >= 0; d--) {
            idx.unshift(rest % out[d]);
            rest = Math.floor(rest / out[d]);
          }
          expect(outputs[0][i]).toBeCloseTo(f(at(sa, values[0], idx), at(sb, values[1], idx)), 12);
        }
        await checkGradients(c);
      }
    });
  }

  it('rejects shapes that do not broadcast, naming the node', () => {
    return expect(runOp({ op: 'add', inputs: [{ shape: [2, 3] }, { shape: [4] }] }, [[1, 2, 3, 4, 5, 6], [1, 2, 3, 4]])).rejects.toThrow(
      "node 'y' (add): shapes [2, 3] and [4] do not broadcast",
    );
  });
});

describe('clip and huber', () => {
  it('clip bounds values and passes the gradient inside the bounds', async () => {
    const r = await runOp({ op: 'clip', inputs: [{ shape: [4] }], attrs: { min: -0.5, max: 0.5 } }, [[-2, -0.25, 0.25, 2]], 'float64');
    expect([...r.outputs[0]]).toEqual([-0.5, -0.25, 0.25, 0.5]);
    await checkGradients({ op: 'clip', inputs: [{ shape: [3, 3], keepAwayFrom: [-0.5, 0.5] }], attrs: { min: -0.5, max: 0.5 } });
  });

  it('huber is quadratic inside delta and linear outside', async () => {
    const r = await runOp({ op: 'huber', inputs: [{ shape: [3] }], attrs: { delta: 1.5 } }, [[-3, 1, 2]], 'float64');
    expect([...r.outputs[0]]).toEqual([1.5 * (3 - 0.75), 0.5, 1.5 * (2 - 0.75)]);
    await checkGradients({ op: 'huber', inputs: [{ shape: [3, 3], keepAwayFrom: [-0.5, 0.5] }], attrs: { delta: 0.5 } });
  });
});
