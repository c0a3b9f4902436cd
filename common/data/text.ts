/**
 * A vectorizer in the manner of Keras's TextVectorization(output_mode='int') with its default
 * standardize='lower_and_strip_punctuation' and split='whitespace':
 * - ASCII letters lowercased (tf.strings.lower), then every character of
 *   !"#$%&()*+,-./:;<=>?@[\]^_`{|}~' removed;
 * - split on runs of whitespace;
 * - vocabulary: index 0 = '' (padding), 1 = '[UNK]', then the max_tokens - 2 most frequent words,
 *   ties broken by the word in reverse order (Keras's np.lexsort((tokens, counts))[::-1]);
 * - output_sequence_length: sequences padded with 0 or truncated at the end.
 */

const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;

export function standardizeText(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase()).replace(PUNCTUATION, '');
}

export function splitWords(text: string): string[] {
  return text.split(/[ \t\n\r\f\v]+/).filter((w) => w !== '');
}

export interface VectorizerOptions {
  /** Vocabulary size including padding and [UNK]; default: every word. */
  maxTokens?: number;
  /** Output length; default: the longest text's. */
  sequenceLength?: number;
}

export class TextVectorizer {
  readonly vocabulary: string[];
  private readonly index: Map<string, number>;

  constructor(vocabulary: string[], readonly sequenceLength: number) {
    this.vocabulary = vocabulary;
    this.index = new Map(vocabulary.map((w, i) => [w, i]));
  }

  /** Keras's adapt(): learns the vocabulary (and, without sequenceLength, the longest length) from texts. */
  static adapt(texts: string[], options: VectorizerOptions = {}): TextVectorizer {
    if (options.maxTokens !== undefined && (!Number.isInteger(options.maxTokens) || options.maxTokens < 3)) {
      throw new RangeError(`max tokens must be a whole number of at least 3 (padding, [UNK] and one word), got ${options.maxTokens}`);
    }
    const counts = new Map<string, number>();
    let longest = 0;
    for (const t of texts) {
      const words = splitWords(standardizeText(t));
      longest = Math.max(longest, words.length);
      for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0)).map(([w]) => w);
    const words = options.maxTokens !== undefined ? sorted.slice(0, options.maxTokens - 2) : sorted;
    return new TextVectorizer(['', '[UNK]', ...words], options.sequenceLength ?? Math.max(longest, 1));
  }

  /** One text as token indices, padded/truncated to sequenceLength. */
  encode(text: string, out = new Int32Array(this.sequenceLength), offset = 0): Int32Array {
    const words = splitWords(standardizeText(text));
    const n = Math.min(words.length, this.sequenceLength);
    for (let i = 0; i < n; i++) out[offset + i] = this.index.get(words[i]) ?? 1;
    out.fill(0, offset + n, offset + this.sequenceLength);
    return out;
  }

  /** Many texts as a [count, sequenceLength] Int32Array. */
  encodeAll(texts: string[]): Int32Array {
    const out = new Int32Array(texts.length * this.sequenceLength);
    texts.forEach((t, i) => this.encode(t, out, i * this.sequenceLength));
    return out;
  }
}
