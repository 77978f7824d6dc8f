// jstat ships no types; only what the tests use to cross-check the t distribution.
declare module 'jstat' {
  const jStat: {
    studentt: { cdf(t: number, degreesOfFreedom: number): number };
    ibeta(x: number, a: number, b: number): number;
  };
  export default jStat;
}
