// Package auth owns the credentials of the ledger's users: the password
// policies of R-AUTH-2, argon2id password hashing (bounded in concurrency)
// and the throttling of password attempts (R-AUTH-5), whose counters the
// session package's stores keep beside the sessions of R-AUTH-3.
//
// Nothing here speaks HTTP or knows about Gin: the http package turns the
// *domain.Error values returned here into responses. Every function that
// depends on the clock takes the time as an argument, so the rules can be
// tested without sleeping and so every node decides with the same inputs.
package auth
