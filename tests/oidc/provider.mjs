// A real OpenID Connect provider (oidc-provider) on loopback for the sign-in tests.
// node provider.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET
// Its development login form takes any login name and password; the login name is the e-mail
// address the provider vouches for.
import Provider from "oidc-provider";

const [port, redirectUri, clientId, clientSecret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
    },
  ],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, name: id };
      },
    };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  features: { devInteractions: { enabled: true } },
  // the e-mail address in the ID token itself, where st.login reads it
  conformIdTokenClaims: false,
  cookies: { keys: ["materiality test provider cookie key"] },
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
