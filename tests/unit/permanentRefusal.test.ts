/** Which mail server answers are for good (never retried) and which are passing (retried). */
import { permanentRefusal } from '../../activities/notifications';

describe('permanentRefusal', () => {
  it('takes an SMTP 5xx as permanent, keeping the code and the reason but not the address', () => {
    const error = Object.assign(new Error("Can't send mail"), { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <bob.sw@example.org>: Recipient address rejected' });
    expect(permanentRefusal(error)).toEqual({ code: 550, response: '550 5.1.1 <address>: Recipient address rejected' });
  });
  it('leaves 4xx answers and connection failures to the retries', () => {
    expect(permanentRefusal(Object.assign(new Error('try later'), { responseCode: 451, response: '451 4.3.0 try later' }))).toBeUndefined();
    expect(permanentRefusal(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' }))).toBeUndefined();
    expect(permanentRefusal(undefined)).toBeUndefined();
  });
});
