import assert from 'node:assert/strict';
import { parseJsonLossless } from '../../activities/flink/lossless-json';

describe('parseJsonLossless', () => {
  it('keeps integers beyond 2^53 as their exact digits', () => {
    assert.deepEqual(parseJsonLossless('{"fields":[9007199254740993,-9223372036854775808,9223372036854775807]}'),
      { fields: ['9007199254740993', '-9223372036854775808', '9223372036854775807'] });
  });

  it('leaves every number a double can hold exactly as a number', () => {
    assert.deepEqual(parseJsonLossless('[0,-1,9007199254740991,-9007199254740991,1.5,-2.25e3,1E2,0.1]'), [0, -1, 9007199254740991, -9007199254740991, 1.5, -2250, 100, 0.1]);
  });

  it('leaves digits inside strings, escaped quotes and all, as they were', () => {
    const text = '{"a":"9007199254740993","b":"x\\"99999999999999999999\\"","c\\\\":[true,false,null,{"d":12345678901234567890}]}';
    assert.deepEqual(parseJsonLossless(text), { a: '9007199254740993', b: 'x"99999999999999999999"', 'c\\': [true, false, null, { d: '12345678901234567890' }] });
  });

  it('refuses what JSON.parse refuses', () => {
    assert.throws(() => parseJsonLossless('{"a":01}'), SyntaxError);
    assert.throws(() => parseJsonLossless('[1,'), SyntaxError);
  });
});
