// Package auth owns the credentials of the ledger's users: the password
// policies of R-AUTH-2, argon2id password hashing (bounded in concurrency),
// the throttling of password attempts (R-AUTH-5) and the session tokens of
// R-AUTH-3, which record the credential they were opened with (R-AUTH-6).
//
// Nothing here speaks HTTP or knows about Gin: the http package turns the
// *domain.Error values returned here into responses. Every function that
// depends on the clock takes the time as an argument, so the rules can be
// tested without sleeping and so every node decides with the same inputs.
package auth
