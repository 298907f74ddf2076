// GBK as Chinese Excel writes it ("CSV (逗号分隔)"): the bytes of a few words, from known byte
// sequences (test/unit/import-parse.test.ts checks them against the decoder), for building test files.
export const GBK: Record<string, number[]> = {
  中文: [0xd6, 0xd0, 0xce, 0xc4],
  赢单: [0xd3, 0xae, 0xb5, 0xa5],
  输单: [0xca, 0xe4, 0xb5, 0xa5],
  商机名称: [0xc9, 0xcc, 0xbb, 0xfa, 0xc3, 0xfb, 0xb3, 0xc6],
  客户: [0xbf, 0xcd, 0xbb, 0xa7],
  金额: [0xbd, 0xf0, 0xb6, 0xee],
  阶段: [0xbd, 0xd7, 0xb6, 0xce],
  华为: [0xbb, 0xaa, 0xce, 0xaa],
  张三: [0xd5, 0xc5, 0xc8, 0xfd],
  备注: [0xb1, 0xb8, 0xd7, 0xa2],
};

/** Text with the GBK words above encoded as GBK and everything else ASCII. */
export function gbk(text: string): Uint8Array {
  const words = Object.keys(GBK).sort((a, b) => b.length - a.length);
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    const word = words.find((w) => text.startsWith(w, i));
    if (word) {
      bytes.push(...GBK[word]!);
      i += word.length;
    } else {
      const code = text.charCodeAt(i++);
      if (code > 0x7f) throw new Error(`no GBK bytes for ${text[i - 1]}`);
      bytes.push(code);
    }
  }
  return new Uint8Array(bytes);
}
