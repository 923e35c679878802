export const FORBIDDEN: [RegExp, string][];
export function scanText(text: string, name: string): string[];
export function scanHtml(text: string, name: string): string[];
export function findings(): string[];
