import { describe, expect, it } from 'vitest';
import { checkDataFitsModel } from '../../../common/data/checkLabels.js';
import { loadCsv, splitCsvRows } from '../../../common/data/csvTable.js';
import { checkTrainable, DataError, splitIndices, type DataTensor, type DataValues, type Dataset } from '../../../common/data/dataset.js';
import { resizeBilinear, toChannels } from '../../../common/data/image.js';
import { parseIdx } from '../../../common/data/idx.js';
import { RandomState, shuffledIndices } from '../../../common/data/random.js';
import { TextVectorizer } from '../../../common/data/text.js';
import { analyzeModel, defaultTrainingConfig, type ModelDoc } from '../../../common/model/index.js';

/** The values of a tensor that a source built in memory (CSV features). */
const inMemory = (t: DataTensor) => t.data as DataValues;

describe('RandomState (NumPy legacy MT19937)', () => {
  it('matches np.random.RandomState bit for bit', () => {
    // np.random.RandomState(42).bytes(8).hex() == '66dce15fb33deacb'
    const r = new RandomState(42);
    const words = new Uint32Array([r.nextUint32(), r.nextUint32()]);
    expect(Buffer.from(words.buffer).toString('hex')).toBe('66dce15fb33deacb');
    // a = list(range(10)); np.random.RandomState(1337).shuffle(a)
    expect(Array.from(shuffledIndices(10, 1337))).toEqual([6, 3, 0, 4, 5, 2, 1, 9, 8, 7]);
    expect(Array.from(shuffledIndices(7, 5))).toEqual([6, 2, 4, 1, 0, 5, 3]);
    expect(Array.from(shuffledIndices(1000, 7).subarray(0, 8))).toEqual([778, 334, 271, 802, 216, 408, 812, 94]);
  });

  it('splits as Keras does: shuffled with the seed, the last int(split * n) held out', () => {
    const s = splitIndices(10, 0.2, 1337);
    expect(Array.from(s.train)).toEqual([6, 3, 0, 4, 5, 2, 1, 9]);
    expect(Array.from(s.validation!)).toEqual([8, 7]);
    expect(splitIndices(10, 0.2, 1337)).toEqual(s);
    expect(() => splitIndices(3, 0.2, 1)).toThrow(/holds out no samples/);
  });
});

describe('CSV tables', () => {
  it('splits quoted cells, line breaks inside quotes, and reports the line of a bad row', () => {
    expect(splitCsvRows('a,b\n"x\ny",2\n\n3,"q""r"\n')).toEqual([
      { line: 1, cells: ['a', 'b'] }, { line: 2, cells: ['x\ny', '2'] }, { line: 5, cells: ['3', 'q"r'] },
    ]);
    expect(() => loadCsv('a,b,c\n1,2,x\n3,4\n5,6,y\n', {}, 'd.csv')).toThrow('d.csv, line 3: 2 cells where the first row has 3');
    expect(() => loadCsv('a,b\n1,"open\n', {}, 'd.csv')).toThrow('d.csv, line 2: a quoted cell is not closed');
  });

  it('detects the header, column types, one-hot categories, and a class target (default: last column)', () => {
    const s = loadCsv('size,color,kind\n1,red,cat\n3,blue,dog\n5,red,cat\n7,blue,dog\n', { standardize: false });
    expect(s.train.featureNames).toEqual(['size', 'color=blue', 'color=red']);
    expect(s.train.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(inMemory(s.train.x[0]))).toEqual([1, 0, 1, 3, 1, 0, 5, 0, 1, 7, 1, 0]);
    expect(Array.from(s.train.y[0].data)).toEqual([0, 1, 0, 1]);
    expect(s.train.y[0].data).toBeInstanceOf(Int32Array);
    const idx = loadCsv('size,color,kind\n1,red,cat\n3,blue,dog\n', { categorical: 'index', standardize: false });
    expect(Array.from(inMemory(idx.train.x[0]))).toEqual([1, 1, 3, 0]);
    // No header: every row is data.
    const nh = loadCsv('1,2,0\n3,4,1\n5,6,1\n', { standardize: false });
    expect(nh.train.count).toBe(3);
    expect(nh.train.featureNames).toEqual(['column_1', 'column_2']);
  });

  it('takes a chosen numeric target as regression, standardised with the training split', () => {
    const text = 'x,y,z\n' + Array.from({ length: 10 }, (_, i) => `${i},${i * 2 + 0.5},${i % 3}`).join('\n');
    const s = loadCsv(text, { target: 'y', validationSplit: 0.2, seed: 1337 });
    expect(s.train.count).toBe(8);
    expect(s.validation!.count).toBe(2);
    expect(s.train.y[0].data).toBeInstanceOf(Float32Array);
    // Rows 8 and 7 are held out (the split above); stats come from the other 8 rows.
    expect(Array.from(s.validation!.y[0].data)).toEqual([16.5, 14.5]);
    const trainX = [6, 3, 0, 4, 5, 2, 1, 9];
    const mean = trainX.reduce((a, b) => a + b) / 8;
    expect(s.preprocessing!.standardize!.mean[0]).toBeCloseTo(mean, 6);
    const col0 = Array.from({ length: 8 }, (_, i) => inMemory(s.train.x[0])[i * 2]);
    expect(col0.reduce((a, b) => a + b) / 8).toBeCloseTo(0, 5);
    expect(() => loadCsv(text, { target: 'w' }, 'd.csv')).toThrow('d.csv has no column "w": its columns are "x", "y", "z"');
  });

  it('drops or fills missing values, as chosen', () => {
    const text = 'a,b,label\n1,x,0\n,y,1\n3,,0\n5,x,1\n';
    const dropped = loadCsv(text, { standardize: false });
    expect(dropped.train.count).toBe(2);
    expect(dropped.train.notes[0]).toMatch(/dropped 2 rows with missing values \(first at line 3\)/);
    const filled = loadCsv(text, { missing: 'mean', standardize: false });
    expect(filled.train.count).toBe(4);
    expect(inMemory(filled.train.x[0])[3]).toBeCloseTo(3);  // mean of 1, 3, 5
    expect(filled.train.notes.join(' ')).toMatch(/filled 1 missing "a" value with the mean 3/);
    const constant = loadCsv(text, { missing: 'constant', fillValue: -1, standardize: false, categorical: 'index' });
    expect(Array.from(inMemory(constant.train.x[0]))).toEqual([1, 0, -1, 1, 3, 2, 5, 0]);  // b: x=0, y=1, the fill '-1' a new category 2
  });

  it('keeps integer labels from 0 as they are, maps others in numeric order', () => {
    expect(loadCsv('a,l\n1,0\n2,2\n', { targetType: 'class' }).train.classNames).toEqual(['0', '1', '2']);
    const s = loadCsv('a,l\n1,3\n2,10\n', { targetType: 'class' });
    expect(s.train.classNames).toEqual(['3', '10']);
    expect(Array.from(s.train.y[0].data)).toEqual([0, 1]);
  });

  it('refuses an empty or one-class table', () => {
    expect(() => loadCsv('a,label\n', {}, 'e.csv')).toThrow(/e.csv has no usable rows/);
    expect(() => loadCsv('a,label\n1,cat\n2,cat\n', {}, 'one.csv')).toThrow('one.csv has only one class ("cat", 2 samples)');
  });
});

describe('IDX', () => {
  const idx = (type: number, dims: number[], values: number[], size: number) => {
    const b = new Uint8Array(4 + 4 * dims.length + values.length * size);
    const v = new DataView(b.buffer);
    b[2] = type;
    b[3] = dims.length;
    dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
    values.forEach((x, i) => (size === 1 ? v.setUint8(4 + 4 * dims.length + i, x) : v.setInt32(4 + 4 * dims.length + 4 * i, x, false)));
    return b;
  };
  it('parses ubyte and big-endian int32 arrays', () => {
    const a = parseIdx(idx(0x08, [2, 1, 3], [0, 1, 2, 253, 254, 255], 1));
    expect(a).toEqual({ dtype: 'uint8', shape: [2, 1, 3], data: Int32Array.of(0, 1, 2, 253, 254, 255) });
    expect(parseIdx(idx(0x0c, [2], [-5, 70000], 4)).data).toEqual(Int32Array.of(-5, 70000));
  });
  it('names a file that is not IDX or is cut short', () => {
    expect(() => parseIdx(Uint8Array.of(1, 2, 3, 4), 'f')).toThrow('f is not an IDX file');
    expect(() => parseIdx(idx(0x08, [10], [1, 2], 1), 'f')).toThrow(/f is cut short/);
  });
});

describe('images', () => {
  it('resizes as tf.image.resize(bilinear) does (half-pixel centres, no antialias)', () => {
    // tf.image.resize(np.array([[0,10],[20,30],[40,250]], uint8)[..., None], (4, 5), 'bilinear')
    const img = { width: 2, height: 3, channels: 1, data: Uint8Array.of(0, 10, 20, 30, 40, 250) };
    const expected = [0, 1, 5, 9, 10, 12.5, 13.5, 17.5, 21.5, 22.5, 27.5, 36, 70, 104, 112.5, 40, 61, 145, 229, 250];
    const out = Array.from(resizeBilinear(img, 4, 5));
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    // Downscaling 6x6 (arange) to 2x3.
    const big = { width: 6, height: 6, channels: 1, data: Uint8Array.from({ length: 36 }, (_, i) => i) };
    expect(Array.from(resizeBilinear(big, 2, 3))).toEqual([6.5, 8.5, 10.5, 24.5, 26.5, 28.5]);
  });
  it('converts channels: alpha dropped, gray replicated, RGB to luma', () => {
    const rgba = { width: 1, height: 1, channels: 4, data: Uint8Array.of(255, 0, 0, 7) };
    expect(Array.from(toChannels(rgba, 3).data)).toEqual([255, 0, 0]);
    expect(Array.from(toChannels(rgba, 1).data)).toEqual([76]);
    expect(Array.from(toChannels({ width: 1, height: 1, channels: 1, data: Uint8Array.of(9) }, 3).data)).toEqual([9, 9, 9]);
  });
});

describe('TextVectorizer', () => {
  it('matches Keras TextVectorization(max_tokens=6, output_sequence_length=5)', () => {
    const v = TextVectorizer.adapt(['The cat, the DOG!', "a dog's bone", 'Zebra zebra cat b'], { maxTokens: 6, sequenceLength: 5 });
    expect(v.vocabulary).toEqual(['', '[UNK]', 'zebra', 'the', 'cat', 'dogs']);
    expect(Array.from(v.encode("the cat ate a Zebra's bone"))).toEqual([3, 4, 1, 1, 1]);
    expect(Array.from(v.encode('cat'))).toEqual([4, 0, 0, 0, 0]);
  });
});

describe('checks before training', () => {
  const model = (units: number, loss = defaultTrainingConfig().loss) => {
    const doc: ModelDoc = {
      layers: [
        { id: 'in', name: 'input', type: 'Input', params: { shape: [4] } },
        { id: 'out', name: 'out', type: 'Dense', params: { units, activation: 'softmax' } },
      ],
      edges: [{ from: 'in', to: 'out' }],
    };
    return { analysis: analyzeModel(doc), training: { ...defaultTrainingConfig(), loss } };
  };
  const data = (classes: number, features = 4): Dataset => ({
    x: [{ shape: [features], data: new Float32Array(classes * features) }],
    y: [{ shape: [], data: Int32Array.from({ length: classes }, (_, i) => i) }],
    count: classes,
    classNames: Array.from({ length: classes }, (_, i) => `c${i}`),
    notes: [],
  });
  it('catches 11 classes for a 10-unit softmax and says which side to change', () => {
    const { analysis, training } = model(10);
    expect(analysis.issues).toEqual([]);
    const problems = checkDataFitsModel(analysis, training, data(11));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/the data has 11 classes .* but Dense 'out' outputs 10 scores: give Dense 'out' 11 units, or use data with at most 10 classes/);
    expect(checkDataFitsModel(analysis, training, data(10))).toEqual([]);
  });
  it('catches an input shape mismatch and class indices under categorical cross-entropy', () => {
    const { analysis, training } = model(3, 'categorical_crossentropy');
    const problems = checkDataFitsModel(analysis, training, data(3, 5));
    expect(problems[0]).toMatch(/samples have shape \(5,\) but Input 'input' takes \(4,\)/);
    expect(problems[1]).toMatch(/choose sparse_categorical_crossentropy/);
  });
  it('refuses empty and one-class datasets', () => {
    expect(() => checkTrainable({ ...data(0), count: 0 }, 'x')).toThrow(DataError);
    const one = data(2);
    one.y[0].data = Int32Array.of(1, 1);
    expect(() => checkTrainable(one, 'pets/')).toThrow('pets/ has only one class ("c1", 2 samples)');
  });
});
