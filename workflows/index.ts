export { disagreement } from './disagreement';
export { reviewReminder } from './reviewReminder';
