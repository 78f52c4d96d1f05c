import { describe, expect, it } from 'vitest';
import { metricValue } from './prometheus.js';

const EXPOSITION = `# HELP calls_total Calls
# TYPE calls_total counter
calls_total 3
# HELP requests_seconds Requests
# TYPE requests_seconds histogram
requests_seconds_bucket{le="0.1",endpoint="bySid",outcome="ok"} 2
requests_seconds_count{endpoint="bySid",outcome="ok"} 5
requests_seconds_count{endpoint="bySid",outcome="404"} 1
quoted_total{why="a \\"b\\""} 7
`;

describe('metricValue', () => {
  it('reads the sample with exactly the labels asked for, in any order', () => {
    expect(metricValue(EXPOSITION, 'calls_total')).toBe(3);
    expect(metricValue(EXPOSITION, 'requests_seconds_count', { outcome: 'ok', endpoint: 'bySid' })).toBe(5);
    expect(metricValue(EXPOSITION, 'requests_seconds_count', { endpoint: 'bySid', outcome: '404' })).toBe(1);
    expect(
      metricValue(EXPOSITION, 'requests_seconds_bucket', { endpoint: 'bySid', outcome: 'ok', le: '0.1' }),
    ).toBe(2);
    expect(metricValue(EXPOSITION, 'quoted_total', { why: 'a "b"' })).toBe(7);
  });

  it('is undefined for a metric never observed, or a label set that is not there', () => {
    expect(metricValue(EXPOSITION, 'requests_seconds_count', { endpoint: 'bySid' })).toBeUndefined();
    expect(metricValue(EXPOSITION, 'requests_seconds')).toBeUndefined();
    expect(metricValue(EXPOSITION, 'calls')).toBeUndefined();
  });
});
