import { describe, expect, it } from 'vitest';
import { readDecimal } from './values.js';

describe('readDecimal', () => {
  it.each([
    ['0', 0],
    ['-1.5', -1.5],
    ['+2', 2],
    ['.5', 0.5],
    ['3.', 3],
    ['1e-3', 0.001],
    ['6.02E23', 6.02e23],
    [' 42 ', 42],
    ['38829.359375', 38829.359375],
  ])('reads %j as %d', (text, value) => {
    expect(readDecimal(text)).toBe(value);
  });

  it.each(['', 'NaN', 'nan', 'null', 'NULL', 'NA', 'na', '  '])('reads %j as missing', (text) => {
    expect(readDecimal(text)).toBeNaN();
  });

  it.each(['abc', '0x1f', '0b1', 'Infinity', '-inf', '1e999', '1,5', '1.2.3', 'true'])('refuses %j', (text) => {
    expect(readDecimal(text)).toBeUndefined();
  });
});
