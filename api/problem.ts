/** Errors as RFC 9457 problem details, with an `errors` list naming each field and its problem. */
import type { Response } from 'express';
import type { z } from 'zod';
import { issuesToProblems } from '../shared/policy/load';

export interface FieldProblem {
  path: string;
  message: string;
}

export function sendProblem(res: Response, status: number, title: string, detail?: string, errors?: FieldProblem[]) {
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) });
}

export function sendValidationProblem(res: Response, errors: FieldProblem[]) {
  sendProblem(res, 400, 'The request has problems', `${errors.length} problem(s) to fix`, errors);
}

export const zodProblems = (error: z.ZodError): FieldProblem[] => issuesToProblems(error.issues);
