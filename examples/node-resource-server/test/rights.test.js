import assert from 'node:assert/strict'
import { test } from 'node:test'

import { allows } from '../rights.js'

// The example of resource/doc.go, and its edge cases.
const rights = [
  { orgs: ['billing', 'sales'], scope: 'billing.invoices:read' },
  { orgs: ['billing'], scope: 'iam.keys:read iam.keys:write' },
]

test('a right holds in the organizations of its entry only', () => {
  assert.equal(allows(rights, 'sales', 'billing.invoices', 'read'), true)
  assert.equal(allows(rights, 'sales', 'iam.keys', 'write'), false)
  assert.equal(allows(rights, 'billing', 'iam.keys', 'write'), true)
  assert.equal(allows(rights, 'emea', 'billing.invoices', 'read'), false)
})

test('"*" in orgs is every organization, "*" in scope every right', () => {
  assert.equal(allows([{ orgs: ['*'], scope: 'billing.invoices:read' }], 'anywhere', 'billing.invoices', 'read'), true)
  assert.equal(allows([{ orgs: ['billing'], scope: '*' }], 'billing', 'iam.keys', 'delete'), true)
  assert.equal(allows([{ orgs: ['billing'], scope: '*' }], 'sales', 'iam.keys', 'delete'), false)
})

test('nothing is allowed without a rights claim, with a malformed one or empty arguments', () => {
  for (const r of [undefined, null, 'billing.invoices:read', {}, [null], [{ orgs: 'billing', scope: 'billing.invoices:read' }]]) {
    assert.equal(allows(r, 'billing', 'billing.invoices', 'read'), false, JSON.stringify(r))
  }
  assert.equal(allows(rights, '', 'billing.invoices', 'read'), false)
  assert.equal(allows(rights, 'billing', 'billing.invoices', ''), false)
  // A right is matched whole, not as a prefix.
  assert.equal(allows(rights, 'billing', 'billing.invoice', 'read'), false)
})
