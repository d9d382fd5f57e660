import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ExpiringCache } from '../src/common/expiring-cache';

describe('ExpiringCache', () => {
  it('serves a value until its fresh-until time, then drops it', () => {
    const cache = new ExpiringCache<string, number>(10);
    cache.set('a', 1, 100);
    assert.equal(cache.get('a', 99), 1);
    assert.equal(cache.get('a', 100), undefined);
    assert.equal(cache.size, 0, 'a stale entry is removed when seen');
  });

  it('evicts the least recently set entry beyond its bound', () => {
    const cache = new ExpiringCache<string, number>(2);
    cache.set('a', 1, 100);
    cache.set('b', 2, 100);
    cache.set('a', 3, 100);
    cache.set('c', 4, 100);
    assert.equal(cache.get('b', 0), undefined);
    assert.equal(cache.get('a', 0), 3);
    assert.equal(cache.get('c', 0), 4);
  });

  it('deletes by key and by predicate', () => {
    const cache = new ExpiringCache<string, number>(10);
    for (const key of ['acme|x', 'acme|y', 'other|x']) cache.set(key, 1, 100);
    cache.deleteWhere((key) => key.startsWith('acme|'));
    assert.deepEqual(
      [cache.get('acme|x', 0), cache.get('acme|y', 0), cache.get('other|x', 0)],
      [undefined, undefined, 1],
    );
    cache.delete('other|x');
    assert.equal(cache.size, 0);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new ExpiringCache(bad), RangeError);
  });

  it('never holds more than its bound, whatever the sequence of sets (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.nat(50))),
        (max, sets) => {
          const cache = new ExpiringCache<string, number>(max);
          for (const [key, until] of sets) cache.set(key, until, until);
          return cache.size <= max;
        },
      ),
      { seed: 14, numRuns: 300 },
    );
  });
});
