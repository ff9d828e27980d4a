/**
 * Accessible names Element Plus leaves out.
 *
 * Its date picker opens its panel as a `role="dialog"` popper teleported to <body> and gives
 * it no name (the picker's own `aria-label` goes to the input only), so a screen reader
 * announces an unnamed dialog and axe reports `aria-dialog-name`. Every such panel is named
 * here as soon as it is inserted, whichever page made it.
 */
const PANEL = '.el-picker__popper[role="dialog"]:not([aria-label]):not([aria-labelledby])';
const PANEL_NAME = '选择日期';

function nameIn(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>(PANEL).forEach((el) => el.setAttribute('aria-label', PANEL_NAME));
}

export function nameUnnamedPanels(root: HTMLElement = document.body): MutationObserver {
  nameIn(root);
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node instanceof HTMLElement) {
          if (node.matches(PANEL)) node.setAttribute('aria-label', PANEL_NAME);
          nameIn(node);
        }
      }
    }
  });
  observer.observe(root, { childList: true, subtree: true });
  return observer;
}
