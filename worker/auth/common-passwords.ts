// Passwords that appear at the top of every breach corpus (and their common Chinese-keyboard
// variants). ASVS 5.0 asks that such passwords be refused; the full lists run to millions, but
// the head of the distribution is where credential stuffing and guessing succeed.
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '12345678', '123456789', '1234567890', '12345678910', '87654321', '11111111', '00000000', '88888888',
  '66666666', '99999999', '12341234', '11223344', '12121212', '123123123', '147258369', '159357456',
  'password', 'password1', 'password12', 'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'qwertyui',
  'qwerty123', 'qwertyuiop', '1q2w3e4r', '1qaz2wsx', 'zaq12wsx', 'asdfghjk', 'asdf1234', 'zxcvbnm1',
  'iloveyou', 'sunshine', 'princess', 'football', 'baseball', 'superman', 'starwars', 'whatever',
  'trustno1', 'letmein1', 'welcome1', 'welcome123', 'admin123', 'administrator', 'abc12345', 'abcd1234',
  'a1234567', 'aa123456', 'woaini1314', 'woaini520', '5201314520', '1314520520', 'qq123456', 'wang1234',
  'iloveyou1', 'changeme', 'computer', 'internet', 'michelle', 'jennifer', 'dragon12', 'monkey123',
  'master12', 'shadow12', 'q1w2e3r4', 'q1w2e3r4t5', '1q2w3e4r5t', 'qazwsxedc', 'password!', 'jihui123',
]);

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}
