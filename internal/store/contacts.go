package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

const contactColumns = "id, name, email, phone, language, time_zone, merged_into_id, created_at, updated_at"

func scanContact(row interface{ Scan(...any) error }) (parley.Contact, error) {
	var c parley.Contact
	var merged sql.NullInt64
	var created, updated int64
	err := row.Scan(&c.ID, &c.Name, &c.Email, &c.Phone, &c.Language, &c.TimeZone, &merged, &created, &updated)
	c.MergedInto, c.CreatedAt, c.UpdatedAt = fromNullID(merged), fromTS(created), fromTS(updated)
	return c, err
}

// ContactKey is what an incoming message says about who sent it.
type ContactKey struct {
	Kind       string // the identity kind of ExternalID (parley.IdentityExternal for API inboxes)
	ExternalID string
	Name       string
	Email      string // normalised
	Phone      string // normalised E.164
	// Language and TimeZone, when the channel knows them (checked by the
	// caller); they update the contact's, since they follow the person.
	Language, TimeZone string
}

// FindOrCreateContact finds the contact an incoming message is from: by
// its inbox-scoped id first, then by email, then by phone, so one person
// who writes on several channels stays one contact. A new contact is
// created when none matches. Identities the contact did not have yet are
// added, unless another contact already holds them. For a known contact
// with nothing new this is one query: it runs for every received message.
func (tx *Tx) FindOrCreateContact(inboxID int64, k ContactKey) (c parley.Contact, created bool, err error) {
	defer wrap(&err, "store: FindOrCreateContact")
	ids := contactIdentities(inboxID, k)
	if len(ids) == 0 {
		return c, false, parley.Errorf(parley.EINVALID, "contact needs an external_id, email or phone")
	}
	queued := false // the new contact's row waits for the batch's insert (deferred.go)
	found, ok := tx.pre.takeIdentities(ids)
	if !ok && !tx.readOnly {
		found, ok = tx.db.cache.get(ids)
	}
	if !ok {
		// One query for every identity the message names, with its contact.
		var q query
		var conds []string
		for _, id := range ids {
			conds = append(conds, "(i.kind = "+q.next(id.kind)+" AND i.scope = "+q.next(id.scope)+" AND i.external_id = "+q.next(id.id)+")")
		}
		rows, err := tx.query(identityContactsSQL+strings.Join(conds, " OR "), q.args...)
		if err != nil {
			return c, false, err
		}
		if found, err = scanIdentityContacts(rows); err != nil {
			return c, false, err
		}
		if !tx.readOnly {
			for id, f := range found {
				tx.db.cache.put(id, f)
			}
		}
	}
	c = pickContact(ids, found)
	if c.ID == 0 {
		created = true
		c = parley.Contact{Name: k.Name, Email: k.Email, Phone: k.Phone, Language: k.Language, TimeZone: k.TimeZone, CreatedAt: tx.now, UpdatedAt: tx.now}
		if queued = tx.pre.deferContact(tx, &c); !queued {
			var err error
			if c.ID, err = tx.insertID(`INSERT INTO contacts (name, email, phone, language, time_zone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
				k.Name, k.Email, k.Phone, k.Language, k.TimeZone, ts(tx.now)); err != nil {
				return c, false, err
			}
		}
		if err := tx.AppendEvent(&parley.Event{Type: parley.EventContactCreated, ContactID: &c.ID}, nil); err != nil {
			return c, false, err
		}
		tx.pre.noConversations(inboxID, c.ID)
	} else {
		// Fill in what we learn about a known contact, never overwrite it.
		fill := map[string]string{}
		if c.Name == "" && k.Name != "" {
			fill["name"], c.Name = k.Name, k.Name
		}
		if c.Email == "" && k.Email != "" {
			fill["email"], c.Email = k.Email, k.Email
		}
		if c.Phone == "" && k.Phone != "" {
			fill["phone"], c.Phone = k.Phone, k.Phone
		}
		// Language and time zone follow the person (they travel, switch
		// devices): the latest the channel reports wins.
		if k.Language != "" && k.Language != c.Language {
			fill["language"], c.Language = k.Language, k.Language
		}
		if k.TimeZone != "" && k.TimeZone != c.TimeZone {
			fill["time_zone"], c.TimeZone = k.TimeZone, k.TimeZone
		}
		if err := tx.setContactFields(c.ID, fill); err != nil {
			return c, false, err
		}
		if len(fill) > 0 {
			tx.pre.forgetContact(c.ID) // another caller of the batch must read what this one wrote
		}
	}
	for _, id := range ids {
		if _, ok := found[id]; ok {
			continue
		}
		// For a known contact, DO NOTHING: an identity another contact holds
		// stays there. For a new one, a conflict means another writer just
		// created this person: the unique-key error makes Write run us
		// again, and the fresh look finds them, so one person stays one contact.
		if queued {
			tx.pre.deferIdentity(tx, c.ID, id) // with its contact, as one insert for the batch
			tx.pre.forgetIdentity(id)
			continue
		}
		q := `INSERT INTO identities (contact_id, kind, scope, external_id, created_at) VALUES ($1, $2, $3, $4, $5)`
		if !created {
			q += " ON CONFLICT (kind, scope, external_id) DO NOTHING"
		}
		if _, err := tx.exec(q, c.ID, id.kind, id.scope, id.id, ts(tx.now)); err != nil {
			return c, false, err
		}
		tx.pre.forgetIdentity(id)
	}
	tx.pre.rememberContact(ids, found, c, created)
	if created && !queued && !tx.readOnly {
		for _, id := range ids {
			tx.db.cache.put(id, cachedContact(c))
		}
	}
	return c, created, nil
}

// identityKey is one identity as stored: its kind, its scope (an inbox
// id, or 0 for identities every inbox shares) and the id itself.
type identityKey struct {
	kind  string
	scope int64
	id    string
}

// contactIdentities lists the identities an incoming message names, in
// the order that decides between contacts: inbox-scoped id, email, phone.
func contactIdentities(inboxID int64, k ContactKey) []identityKey {
	var ids []identityKey
	if k.ExternalID != "" {
		ids = append(ids, identityKey{k.Kind, inboxID, k.ExternalID})
	}
	if k.Email != "" {
		ids = append(ids, identityKey{parley.IdentityEmail, 0, k.Email})
	}
	if k.Phone != "" {
		ids = append(ids, identityKey{parley.IdentityPhone, 0, k.Phone})
	}
	return ids
}

// identityContactsSQL reads identities with their contacts; the caller
// ends it with a condition on i.
const identityContactsSQL = "SELECT " + identityContactColumns + " FROM identities i JOIN contacts c ON c.id = i.contact_id WHERE "

// identityContactColumns are what scanIdentityContacts reads.
const identityContactColumns = `i.kind, i.scope, i.external_id, c.id, c.name, c.email, c.phone, c.language, c.time_zone, c.merged_into_id, c.created_at, c.updated_at`

func scanIdentityContacts(rows *sql.Rows) (map[identityKey]parley.Contact, error) {
	defer rows.Close()
	found := map[identityKey]parley.Contact{}
	for rows.Next() {
		var id identityKey
		var fc parley.Contact
		var merged sql.NullInt64
		var createdAt, updatedAt int64
		if err := rows.Scan(&id.kind, &id.scope, &id.id, &fc.ID, &fc.Name, &fc.Email, &fc.Phone, &fc.Language, &fc.TimeZone, &merged, &createdAt, &updatedAt); err != nil {
			return nil, err
		}
		fc.MergedInto, fc.CreatedAt, fc.UpdatedAt = fromNullID(merged), fromTS(createdAt), fromTS(updatedAt)
		found[id] = fc
	}
	return found, rows.Err()
}

// pickContact returns the contact of the first identity, in ids' order,
// that was found (a zero contact if none was).
func pickContact(ids []identityKey, found map[identityKey]parley.Contact) parley.Contact {
	for _, id := range ids {
		if fc, ok := found[id]; ok {
			return fc
		}
	}
	return parley.Contact{}
}

// Contact returns a contact with its identities. Returns ENOTFOUND if there is none.
func (db *DB) Contact(ctx context.Context, id int64) (_ parley.Contact, err error) {
	defer wrap(&err, "store: Contact(%d)", id)
	c, err := scanContact(db.read.QueryRowContext(ctx, "SELECT "+contactColumns+" FROM contacts WHERE id = $1", id))
	if err != nil {
		return c, notFound(err, "contact", id)
	}
	list := []parley.Contact{c}
	err = db.loadIdentities(ctx, list)
	return list[0], err
}

// Contact returns a contact (without identities) read inside the transaction.
// Returns ENOTFOUND if there is none.
func (tx *Tx) Contact(id int64) (parley.Contact, error) {
	c, err := scanContact(tx.queryRow("SELECT "+contactColumns+" FROM contacts WHERE id = $1"+tx.db.dialect.forUpdate, id))
	return c, notFound(err, "contact", id)
}

// Contacts lists contacts whose name, email or phone contains q (all when
// q is empty), newest first, after the cursor id (0 for the first page).
func (db *DB) Contacts(ctx context.Context, q string, beforeID int64, limit int) (_ []parley.Contact, err error) {
	defer wrap(&err, "store: Contacts")
	var w query
	w.where = append(w.where, "merged_into_id IS NULL")
	if q = strings.TrimSpace(q); q != "" {
		like := "%" + escapeLike(strings.ToLower(q)) + "%"
		p := w.next(like)
		w.where = append(w.where, "(lower(name) LIKE "+p+" ESCAPE '\\' OR email LIKE "+p+" ESCAPE '\\' OR phone LIKE "+p+" ESCAPE '\\')")
	}
	if beforeID > 0 {
		w.add("id < ?", beforeID)
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+contactColumns+" FROM contacts"+w.clause()+" ORDER BY id DESC LIMIT "+w.next(limit), w.args...)
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, func(r *sql.Rows) (parley.Contact, error) { return scanContact(r) })
	if err != nil || len(list) == 0 {
		return list, err
	}
	return list, db.loadIdentities(ctx, list)
}

// loadIdentities fills in the identities of a page of contacts with one query.
func (db *DB) loadIdentities(ctx context.Context, list []parley.Contact) error {
	byID := make(map[int64]*parley.Contact, len(list))
	args := make([]any, len(list))
	for i := range list {
		list[i].Identities = []parley.Identity{}
		byID[list[i].ID] = &list[i]
		args[i] = list[i].ID
	}
	rows, err := db.read.QueryContext(ctx, "SELECT id, contact_id, kind, scope, external_id FROM identities WHERE contact_id IN ("+
		placeholders(1, len(args))+") ORDER BY id", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i parley.Identity
		if err := rows.Scan(&i.ID, &i.ContactID, &i.Kind, &i.Scope, &i.ExternalID); err != nil {
			return err
		}
		byID[i.ContactID].Identities = append(byID[i.ContactID].Identities, i)
	}
	return rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UpdateContact saves a contact's name, email and phone (already
// normalised), keeping the email and phone identities in step.
func (tx *Tx) UpdateContact(c *parley.Contact, agentID *int64) (err error) {
	defer wrap(&err, "store: UpdateContact(%d)", c.ID)
	old, err := tx.Contact(c.ID)
	if err != nil {
		return err
	}
	if old.MergedInto != nil {
		return parley.Errorf(parley.ECONFLICT, "contact %d was merged into contact %d; edit that one", c.ID, *old.MergedInto)
	}
	for _, id := range []struct{ kind, val string }{{parley.IdentityEmail, c.Email}, {parley.IdentityPhone, c.Phone}} {
		if id.val == "" {
			continue
		}
		var owner int64
		err := tx.queryRow("SELECT contact_id FROM identities WHERE kind = $1 AND scope = 0 AND external_id = $2", id.kind, id.val).Scan(&owner)
		switch {
		case err == sql.ErrNoRows:
			if _, err := tx.exec(`INSERT INTO identities (contact_id, kind, scope, external_id, created_at) VALUES ($1, $2, 0, $3, $4)`,
				c.ID, id.kind, id.val, ts(tx.now)); err != nil {
				return err
			}
		case err != nil:
			return err
		case owner != c.ID:
			return parley.Errorf(parley.ECONFLICT, "%s %s belongs to contact %d; merge the two contacts instead", id.kind, id.val, owner)
		}
	}
	c.UpdatedAt = tx.now
	if _, err := tx.exec("UPDATE contacts SET name = $2, email = $3, phone = $4, updated_at = $5 WHERE id = $1",
		c.ID, c.Name, c.Email, c.Phone, ts(tx.now)); err != nil {
		return err
	}
	return tx.AppendEvent(&parley.Event{Type: parley.EventContactUpdated, ContactID: &c.ID, AgentID: agentID}, nil)
}

// setContactFields sets some of a contact's name, email and phone (the
// keys of fields; no other names reach the SQL).
func (tx *Tx) setContactFields(id int64, fields map[string]string) error {
	q := query{args: []any{id}}
	var sets []string
	for _, col := range []string{"name", "email", "phone", "language", "time_zone"} {
		if v, ok := fields[col]; ok {
			sets = append(sets, col+" = "+q.next(v))
		}
	}
	if len(sets) == 0 {
		return nil
	}
	_, err := tx.exec("UPDATE contacts SET "+strings.Join(sets, ", ")+", updated_at = "+q.next(ts(tx.now))+" WHERE id = $1", q.args...)
	return err
}

const mergeColumns = "id, target_id, source_id, agent_id, identity_ids, conversation_ids, created_at, unmerged_at"

// ContactByIdentity returns the id of the contact holding an identity.
// Returns ENOTFOUND when nobody does.
func (tx *Tx) ContactByIdentity(kind string, scope int64, externalID string) (int64, error) {
	var id int64
	err := tx.queryRow("SELECT contact_id FROM identities WHERE kind = $1 AND scope = $2 AND external_id = $3", kind, scope, externalID).Scan(&id)
	return id, notFound(err, "identity", externalID)
}

// Identities returns a contact's identities, read inside the transaction.
func (tx *Tx) Identities(contactID int64) (_ []parley.Identity, err error) {
	defer wrap(&err, "store: Identities(%d)", contactID)
	rows, err := tx.query("SELECT id, contact_id, kind, scope, external_id FROM identities WHERE contact_id = $1 ORDER BY id", contactID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []parley.Identity{}
	for rows.Next() {
		var i parley.Identity
		if err := rows.Scan(&i.ID, &i.ContactID, &i.Kind, &i.Scope, &i.ExternalID); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}
