export { disagreement } from './disagreement';
