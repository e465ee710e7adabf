package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/admitone/admitone/wallet"
)

// walletConfig says how tickets reach phone wallets. Each wallet is off
// until its required flags are all given; some but not all of them is an
// error naming what is missing, so a typo in one variable does not
// silently turn a wallet off.
type walletConfig struct {
	// Apple Wallet: the Pass Type ID certificate, its unencrypted key and
	// the WWDR intermediate that issued it, as PEM files.
	AppleCert, AppleKey, AppleWWDR string
	// PassTypeID, TeamID and OrgName override what the certificate says
	// (its UID, organizational unit and organization).
	ApplePassTypeID, AppleTeamID, AppleOrgName string

	// Google Wallet: the service account key file (JSON, as the Cloud
	// console downloads it) and the issuer id from the Google Pay & Wallet
	// Console.
	GoogleServiceAccount, GoogleIssuerID string
	// GoogleOrigins are the web origins allowed to show a Save button.
	GoogleOrigins []string
	// GoogleOmitClasses leaves event classes out of save links, for an
	// issuer that creates them through Google's REST API.
	GoogleOmitClasses bool
}

func (c *walletConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.AppleCert, "apple-pass-cert", "", "apple wallet: Pass Type ID certificate, PEM (env ADMITONE_APPLE_PASS_CERT)")
	fs.StringVar(&c.AppleKey, "apple-pass-key", "", "apple wallet: the certificate's unencrypted private key, PEM (env ADMITONE_APPLE_PASS_KEY)")
	fs.StringVar(&c.AppleWWDR, "apple-wwdr-cert", "", "apple wallet: the WWDR intermediate certificate that issued it (G4), PEM (env ADMITONE_APPLE_WWDR_CERT)")
	fs.StringVar(&c.ApplePassTypeID, "apple-pass-type-id", "", "apple wallet: pass type identifier; default: the certificate's (env ADMITONE_APPLE_PASS_TYPE_ID)")
	fs.StringVar(&c.AppleTeamID, "apple-team-id", "", "apple wallet: team identifier; default: the certificate's (env ADMITONE_APPLE_TEAM_ID)")
	fs.StringVar(&c.AppleOrgName, "apple-organization-name", "", "apple wallet: organization name on passes; default: the certificate's (env ADMITONE_APPLE_ORGANIZATION_NAME)")
	fs.StringVar(&c.GoogleServiceAccount, "google-wallet-service-account", "", "google wallet: service account key file, JSON (env ADMITONE_GOOGLE_WALLET_SERVICE_ACCOUNT)")
	fs.StringVar(&c.GoogleIssuerID, "google-wallet-issuer-id", "", "google wallet: issuer id from the Pay & Wallet Console (env ADMITONE_GOOGLE_WALLET_ISSUER_ID)")
	fs.StringSliceVar(&c.GoogleOrigins, "google-wallet-origins", nil, "google wallet: web origins that may show a Save button, comma-separated (env ADMITONE_GOOGLE_WALLET_ORIGINS)")
	fs.BoolVar(&c.GoogleOmitClasses, "google-wallet-omit-classes", false, "google wallet: leave event classes out of save links (classes made through the REST API) (env ADMITONE_GOOGLE_WALLET_OMIT_CLASSES)")
}

// walletSetting is a flag and its value, for the all-or-nothing checks.
type walletSetting struct{ flag, value string }

// allOrNone reports whether all required settings of the wallet called
// name are given; some of them, or an optional one without them, is an
// error naming the missing flags.
func allOrNone(name string, required, optional []walletSetting) (bool, error) {
	var set, missing []string
	for _, s := range required {
		if strings.TrimSpace(s.value) == "" {
			missing = append(missing, "--"+s.flag)
		} else {
			set = append(set, "--"+s.flag)
		}
	}
	for _, s := range optional {
		if s.value != "" {
			set = append(set, "--"+s.flag)
		}
	}
	switch {
	case len(set) == 0:
		return false, nil
	case len(missing) > 0:
		return false, fmt.Errorf("%s: %s given but %s missing", name, strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	return true, nil
}

// load reads the wallets' credentials. A wallet whose flags are all empty
// is nil (its routes answer 503).
func (c *walletConfig) load() (*wallet.PassSigner, *wallet.GoogleIssuer, error) {
	pass, err := c.loadApple()
	if err != nil {
		return nil, nil, err
	}
	google, err := c.loadGoogle()
	if err != nil {
		return nil, nil, err
	}
	return pass, google, nil
}

func (c *walletConfig) loadApple() (*wallet.PassSigner, error) {
	on, err := allOrNone("apple wallet",
		[]walletSetting{{"apple-pass-cert", c.AppleCert}, {"apple-pass-key", c.AppleKey}, {"apple-wwdr-cert", c.AppleWWDR}},
		[]walletSetting{{"apple-pass-type-id", c.ApplePassTypeID}, {"apple-team-id", c.AppleTeamID}, {"apple-organization-name", c.AppleOrgName}})
	if !on || err != nil {
		return nil, err
	}
	s, err := wallet.LoadPassSigner(c.AppleCert, c.AppleKey, c.AppleWWDR)
	if err != nil {
		return nil, fmt.Errorf("apple wallet (--apple-pass-cert, --apple-pass-key, --apple-wwdr-cert): %w", err)
	}
	for _, o := range []struct {
		dst  *string
		v    string
		flag string
		what string
	}{
		{&s.PassTypeID, c.ApplePassTypeID, "apple-pass-type-id", "a pass type identifier (UID)"},
		{&s.TeamID, c.AppleTeamID, "apple-team-id", "a team identifier (OU)"},
		{&s.OrganizationName, c.AppleOrgName, "apple-organization-name", "an organization name (O)"},
	} {
		if o.v != "" {
			*o.dst = o.v
		}
		if *o.dst == "" {
			return nil, fmt.Errorf("apple wallet: certificate %s has no %s; give --%s", c.AppleCert, o.what, o.flag)
		}
	}
	return s, nil
}

func (c *walletConfig) loadGoogle() (*wallet.GoogleIssuer, error) {
	var omit string
	if c.GoogleOmitClasses {
		omit = "true"
	}
	on, err := allOrNone("google wallet",
		[]walletSetting{{"google-wallet-service-account", c.GoogleServiceAccount}, {"google-wallet-issuer-id", c.GoogleIssuerID}},
		[]walletSetting{{"google-wallet-origins", strings.Join(c.GoogleOrigins, ",")}, {"google-wallet-omit-classes", omit}})
	if !on || err != nil {
		return nil, err
	}
	for _, r := range c.GoogleIssuerID {
		if r < '0' || r > '9' {
			return nil, fmt.Errorf("google wallet: --google-wallet-issuer-id %q is not a number (the issuer id from the Pay & Wallet Console)", c.GoogleIssuerID)
		}
	}
	b, err := os.ReadFile(c.GoogleServiceAccount)
	if err != nil {
		return nil, fmt.Errorf("google wallet: --google-wallet-service-account: %w", err)
	}
	g, err := wallet.LoadServiceAccount(b)
	if err != nil {
		return nil, fmt.Errorf("google wallet: --google-wallet-service-account %s: %w", c.GoogleServiceAccount, err)
	}
	g.IssuerID, g.Origins, g.OmitClasses = c.GoogleIssuerID, c.GoogleOrigins, c.GoogleOmitClasses
	return g, nil
}
