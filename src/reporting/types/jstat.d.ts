// jstat ships no types: only the distribution functions Signpost uses are declared.
declare module 'jstat' {
  interface JStat {
    studentt: { inv(p: number, dof: number): number; cdf(x: number, dof: number): number };
    normal: { inv(p: number, mean: number, sd: number): number };
  }
  const jStat: JStat;
  export default jStat;
}
