import PDFDocument from 'pdfkit';
import { documentLetterhead, documentSections, type DischargeDocument } from './document.ts';

/**
 * Renders sections of text as an A4 PDF with pdfkit's built-in Helvetica, under a letterhead (the
 * sending service's name and address, right-aligned) when one is given.
 */
export function sectionsPdf(title: string, sections: { heading: string; lines: string[] }[], letterhead: string[] = []): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: title, Author: letterhead[0] ?? 'Signpost' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    if (letterhead.length) {
      doc.font('Helvetica-Bold').fontSize(13).text(letterhead[0]!, { align: 'right' });
      doc.font('Helvetica').fontSize(10);
      for (const line of letterhead.slice(1)) doc.text(line, { align: 'right' });
      doc.moveDown(1.5);
    }
    doc.font('Helvetica-Bold').fontSize(18).text(title, { align: 'left' });
    for (const section of sections) {
      doc.moveDown().font('Helvetica-Bold').fontSize(13).text(section.heading);
      doc.font('Helvetica').fontSize(11);
      for (const line of section.lines) doc.text(line);
    }
    doc.end();
  });
}

export function dischargePdf(document: DischargeDocument): Promise<Buffer> {
  return sectionsPdf(
    `Social prescribing discharge summary: ${document.demographics.name}`,
    documentSections(document),
    documentLetterhead(document),
  );
}
