package main

import (
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
)

type (
	configT = config.Config
	loggerT = zerolog.Logger
)
