package main

import (
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
)

type (
	configT = config.Config
	loggerT = zerolog.Logger
)

type uuidT = uuid.UUID
